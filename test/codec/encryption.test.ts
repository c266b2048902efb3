import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/encryption-codec';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
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
