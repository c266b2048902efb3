import { randomBytes } from 'node:crypto';
import { BSON } from 'mongodb';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { FieldEncryption } from '../../src/codec/field-encryption';
import { PROMPT_CACHE_COLLECTION, PromptCache, promptCacheKey } from '../../src/models/prompt-cache';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

// The prompt-response cache on the real MongoDB-wire server, with payload encryption on.
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase('prompt_cache');
});

afterAll(async () => {
  await database?.drop();
});

describe('prompt cache with encryption on', () => {
  test('answers are sealed at rest under a keyed id, and served back in clear', async () => {
    const fields = new FieldEncryption(
      new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'CHASSIS_PAYLOAD_KEY')),
    );
    const cache = new PromptCache(database.db, { fields });
    const answer = {
      model: 'm',
      content: 'The TAPIR-CODE is 42.',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"TAPIR-CODE"}' }],
      finishReason: 'stop',
      usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 },
      costUsd: 0.001,
      latencyMs: 3,
    };
    const key = promptCacheKey({ model: 'm', messages: [{ role: 'user', content: 'What is the TAPIR-CODE?' }] });
    await cache.put(key, answer);
    const [stored] = await database.db.collection(PROMPT_CACHE_COLLECTION).find({}).toArray();
    expect(Buffer.from(BSON.serialize(stored!)).toString('latin1')).not.toContain('TAPIR');
    // A plain SHA-256 of a guessed prompt would find the entry; the stored id is an HMAC of it.
    expect(stored?._id).not.toBe(key);
    expect(await cache.get(key)).toMatchObject({
      content: 'The TAPIR-CODE is 42.',
      toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"TAPIR-CODE"}' }],
      costUsd: 0.001,
    });
    // Without encryption the same store keeps working as before: plain values, the key as id.
    const plain = new PromptCache(database.db);
    await plain.put(key, { ...answer, content: 'plain answer' });
    expect(await database.db.collection(PROMPT_CACHE_COLLECTION).findOne({ _id: key as never })).toMatchObject({
      content: 'plain answer',
    });
  });
});
