import { randomBytes, randomUUID } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { MongoClient, type Db } from 'mongodb';
import { CLAIM_CHECK_ENCODING, ClaimCheckCodec } from '../../src/codec/claim-check-codec';
import { ClaimCheckStore, PAYLOADS_COLLECTION } from '../../src/codec/claim-check-store';
import { createPayloadCodecs } from '../../src/codec/data-converter';
import { ENCRYPTED_ENCODING } from '../../src/codec/encryption-codec';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { encodingOf } from '../../src/codec/payload-bytes';

// The real MongoDB-wire server of the local stack (FerretDB), one database per file.
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/', {
    serverSelectionTimeoutMS: 10_000,
  });
  db = client.db(`chassis_test_codec_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
});

const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload | undefined): unknown => defaultPayloadConverter.fromPayload(payload as Payload);
const bigText = (size: number, seed = 'context') => `${seed}:`.padEnd(size, 'x');

async function encodeAll(codecs: ReturnType<typeof createPayloadCodecs>, payloads: Payload[]) {
  let current = payloads;
  for (const codec of codecs) current = await codec.encode(current);
  return current;
}
async function decodeAll(codecs: ReturnType<typeof createPayloadCodecs>, payloads: Payload[]) {
  let current = payloads;
  for (const codec of [...codecs].reverse()) current = await codec.decode(current);
  return current;
}

describe('claim-check codec on the real MongoDB-wire server', () => {
  test('small payloads stay inline; large ones become a reference and come back intact', async () => {
    const codec = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    const small = toPayload({ note: 'short' });
    const large = toPayload({ context: bigText(50_000) });
    const [keptSmall, reference] = (await codec.encode([small, large])) as [Payload, Payload];
    expect(keptSmall).toBe(small);
    expect(encodingOf(reference)).toBe(CLAIM_CHECK_ENCODING);
    expect(reference.data?.length).toBeLessThan(120);
    // A fresh codec (another process: no cache) fetches it from MongoDB.
    const elsewhere = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    const [decoded] = await elsewhere.decode([reference]);
    expect(fromPayload(decoded)).toEqual({ context: bigText(50_000) });
  });

  test('content-addressed: the same context is stored once', async () => {
    const collection = db.collection(PAYLOADS_COLLECTION);
    const codec = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    const value = { context: bigText(20_000, `dedupe-${randomUUID()}`) };
    const before = await collection.countDocuments();
    const [first] = await codec.encode([toPayload(value)]);
    // A second codec (no shared cache) stores the same content: still one document.
    const [second] = await new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 }).encode([
      toPayload(value),
    ]);
    expect(Buffer.from(first?.data ?? []).toString()).toBe(Buffer.from(second?.data ?? []).toString());
    expect(await collection.countDocuments()).toBe(before + 1);
  });

  test('a missing blob fails with a clear error naming the collection and what to check', async () => {
    const codec = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    const [reference] = (await codec.encode([toPayload({ context: bigText(5_000, randomUUID()) })])) as [Payload];
    const { id } = JSON.parse(Buffer.from(reference.data ?? []).toString()) as { id: string };
    await db.collection<{ _id: string }>(PAYLOADS_COLLECTION).deleteOne({ _id: id });
    const fresh = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    await expect(fresh.decode([reference])).rejects.toThrow(
      new RegExp(
        `claim-checked payload ${id.replace(':', '\\:')} \\(\\d+ bytes\\) is missing from collection "payloads" of database "${db.databaseName}"`,
      ),
    );
  });

  test('with encryption: the stored blob and the reference are both ciphertext; the chain round-trips', async () => {
    const keyring = new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'K'));
    const codecs = createPayloadCodecs({ db, claimCheckThresholdBytes: 1024, keyring });
    const secret = { prompt: `TOP-SECRET-${randomUUID()} ${bigText(10_000)}` };
    const [encoded] = (await encodeAll(codecs, [toPayload(secret)])) as [Payload];
    expect(encodingOf(encoded)).toBe(ENCRYPTED_ENCODING);
    const stored = await db
      .collection<{ _id: string; data: { buffer: Uint8Array }; keyId?: string }>(PAYLOADS_COLLECTION)
      .find({ keyId: keyring.active.id })
      .toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const document of stored) {
      expect(document._id).toMatch(/^hmac-sha256:/);
      expect(Buffer.from(document.data.buffer).toString('latin1')).not.toContain('TOP-SECRET');
    }
    // Another process with the same key reads it back.
    const [decoded] = await decodeAll(createPayloadCodecs({ db, claimCheckThresholdBytes: 1024, keyring }), [encoded]);
    expect(fromPayload(decoded)).toEqual(secret);
    // Without the key the claim check cannot open the blob even after the reference is read.
    const noKey = new ClaimCheckCodec({ store: new ClaimCheckStore(db), thresholdBytes: 1024 });
    const [reference] = await codecs[1]!.decode([encoded]);
    await expect(noKey.decode([reference as Payload])).rejects.toThrow(/encrypted with key .* no key is configured/);
  });

  test('claim check off and no key: an empty chain, no database needed', () => {
    expect(createPayloadCodecs({ claimCheckThresholdBytes: undefined })).toEqual([]);
    expect(() => createPayloadCodecs({ claimCheckThresholdBytes: 1024 })).toThrow(/needs a MongoDB database/);
  });
});
