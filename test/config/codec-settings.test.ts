import { randomBytes } from 'node:crypto';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { loadCodecSettings } from '../../src/config/codec-settings';
import { ConfigError } from '../../src/config/config-error';
import { deriveKeyId, parsePayloadKey, payloadKeyIds } from '../../src/config/payload-keys';

const newKey = () => randomBytes(32).toString('base64');

describe('payload keys and codec settings', () => {
  test('a key id is a stable fingerprint unless given', () => {
    const base64 = newKey();
    const derived = parsePayloadKey(base64, 'K');
    expect(derived.id).toBe(deriveKeyId(Buffer.from(base64, 'base64')));
    expect(derived.id).toMatch(/^k-[0-9a-f]{16}$/);
    expect(parsePayloadKey(`2026-01:${base64}`, 'K').id).toBe('2026-01');
  });

  test('a key of the wrong length is refused without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => loadCodecSettings({ CHASSIS_PAYLOAD_KEY: short })).toThrow(
      /CHASSIS_PAYLOAD_KEY must be 32 random bytes in base64 \(got 16 bytes\): create one with "openssl rand -base64 32"/,
    );
    try {
      loadCodecSettings({ CHASSIS_PAYLOAD_KEY: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
      expect((error as Error).name).toBe('ConfigError');
    }
  });

  test('defaults: claim check at 8 KB, no encryption, no token', () => {
    expect(loadCodecSettings({})).toEqual({
      claimCheckThresholdBytes: 8192,
      payloadKeys: undefined,
      codecServerToken: undefined,
    });
    expect(loadCodecSettings({ CHASSIS_CLAIM_CHECK_BYTES: 'off' }).claimCheckThresholdBytes).toBeUndefined();
    expect(loadCodecSettings({ CHASSIS_CLAIM_CHECK_BYTES: '65536' }).claimCheckThresholdBytes).toBe(65536);
    expect(() => loadCodecSettings({ CHASSIS_CLAIM_CHECK_BYTES: '12' })).toThrow(
      /CHASSIS_CLAIM_CHECK_BYTES is invalid/,
    );
  });

  test('the active key encrypts; previous keys only decrypt', () => {
    const active = newKey();
    const previous = [newKey(), `old-2:${newKey()}`];
    const settings = loadCodecSettings({
      CHASSIS_PAYLOAD_KEY: active,
      CHASSIS_PAYLOAD_KEY_ID: 'current',
      CHASSIS_PAYLOAD_PREVIOUS_KEYS: previous.join(', '),
    });
    expect(settings.payloadKeys?.active.id).toBe('current');
    expect(PayloadKeyring.of(settings.payloadKeys)?.ids()).toEqual([
      'current',
      deriveKeyId(Buffer.from(previous[0] ?? '', 'base64')),
      'old-2',
    ]);
    expect(() => loadCodecSettings({ CHASSIS_PAYLOAD_PREVIOUS_KEYS: newKey() })).toThrow(/without CHASSIS_PAYLOAD_KEY/);
  });

  test('two different keys under one id are refused at start-up, not at the first decode', () => {
    const settings = () =>
      loadCodecSettings({ CHASSIS_PAYLOAD_KEY: `same:${newKey()}`, CHASSIS_PAYLOAD_PREVIOUS_KEYS: `same:${newKey()}` });
    expect(settings).toThrow(/two different payload keys have the id "same": give each key its own id/);
    expect(settings).toThrow(ConfigError);
  });

  test('the same key listed twice is no conflict', () => {
    const key = `k1:${newKey()}`;
    const settings = loadCodecSettings({ CHASSIS_PAYLOAD_KEY: key, CHASSIS_PAYLOAD_PREVIOUS_KEYS: key });
    expect(payloadKeyIds(settings.payloadKeys)).toEqual(['k1']);
  });
});
