import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadCodecSettings } from '../../src/codec/codec-settings';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/encryption-codec';
import { deriveKeyId, parsePayloadKey, PayloadKeyring } from '../../src/codec/encryption-keys';
import { encodingOf, metadataText } from '../../src/codec/payload-bytes';

const newKey = () => randomBytes(32).toString('base64');
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload | undefined): unknown => defaultPayloadConverter.fromPayload(payload as Payload);

describe('EncryptionCodec (AES-256-GCM)', () => {
  test('round-trips payloads; the ciphertext holds no plain text and names its key', async () => {
    const key = parsePayloadKey(newKey(), 'TEST_KEY');
    const codec = new EncryptionCodec(new PayloadKeyring(key));
    const secret = { prompt: 'the secret launch code is 0000' };
    const [encoded] = await codec.encode([toPayload(secret)]);
    expect(encodingOf(encoded as Payload)).toBe(ENCRYPTED_ENCODING);
    expect(metadataText(encoded as Payload, KEY_ID_METADATA)).toBe(key.id);
    expect(Buffer.from(encoded?.data ?? []).toString('latin1')).not.toContain('launch code');
    // The original encoding (json/plain) is inside the ciphertext, not in clear metadata.
    expect(Object.keys(encoded?.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-cipher', 'encryption-key-id']);
    const [decoded] = await codec.decode(encoded ? [encoded] : []);
    expect(fromPayload(decoded)).toEqual(secret);
  });

  test('the same value encrypts differently each time (random IV)', async () => {
    const codec = new EncryptionCodec(new PayloadKeyring(parsePayloadKey(newKey(), 'TEST_KEY')));
    const [first] = await codec.encode([toPayload('same')]);
    const [second] = await codec.encode([toPayload('same')]);
    expect(Buffer.from(first?.data ?? []).equals(Buffer.from(second?.data ?? []))).toBe(false);
  });

  test('rotation: a payload written with the old key decodes once that key is a previous key', async () => {
    const oldKey = parsePayloadKey(newKey(), 'OLD');
    const newer = parsePayloadKey(newKey(), 'NEW');
    const [written] = await new EncryptionCodec(new PayloadKeyring(oldKey)).encode([toPayload('before rotation')]);
    const rotated = new EncryptionCodec(new PayloadKeyring(newer, [oldKey]));
    expect(fromPayload((await rotated.decode([written as Payload]))[0])).toBe('before rotation');
    const [rewritten] = await rotated.encode([toPayload('after rotation')]);
    expect(metadataText(rewritten as Payload, KEY_ID_METADATA)).toBe(newer.id);
    // Without the old key, the error names the missing key id and what to do.
    await expect(new EncryptionCodec(new PayloadKeyring(newer)).decode([written as Payload])).rejects.toThrow(
      new RegExp(`key "${oldKey.id}", which is not configured.*CHASSIS_PAYLOAD_PREVIOUS_KEYS`),
    );
  });

  test('a tampered ciphertext or a swapped key id fails to decode', async () => {
    const keyA = parsePayloadKey(newKey(), 'A');
    const keyB = parsePayloadKey(newKey(), 'B');
    const codec = new EncryptionCodec(new PayloadKeyring(keyA, [keyB]));
    const [encoded] = (await codec.encode([toPayload('x')])) as [Payload];
    const tampered = Buffer.from(encoded.data ?? []);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encoded, data: tampered }])).rejects.toThrow(/wrong or the data was altered/);
    const swapped = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from(keyB.id) } };
    await expect(codec.decode([swapped])).rejects.toThrow(/cannot decrypt/);
  });

  test('payloads that were never encrypted decode unchanged', async () => {
    const codec = new EncryptionCodec(new PayloadKeyring(parsePayloadKey(newKey(), 'K')));
    const plain = toPayload({ written: 'before encryption was on' });
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});

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
      keyring: undefined,
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
    expect(settings.keyring?.active.id).toBe('current');
    expect(settings.keyring?.ids()).toEqual([
      'current',
      deriveKeyId(Buffer.from(previous[0] ?? '', 'base64')),
      'old-2',
    ]);
    expect(() => loadCodecSettings({ CHASSIS_PAYLOAD_PREVIOUS_KEYS: newKey() })).toThrow(/without CHASSIS_PAYLOAD_KEY/);
  });
});
