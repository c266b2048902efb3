import { randomBytes } from 'node:crypto';
import { BSON } from 'mongodb';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { FieldEncryption } from '../../src/codec/field-encryption';
import { ensureMemoryIndexes, MemoryCollection } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { EpisodesStore } from '../../src/memory/episodes-store';
import { searchKnowledge } from '../../src/memory/hybrid-search';
import { KnowledgeIndexCache } from '../../src/memory/knowledge-index-cache';
import { KnowledgeStore } from '../../src/memory/knowledge-store';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

// Memory with payload encryption on, on the real MongoDB-wire server: the text is sealed in
// MongoDB, and search (BM25 in the worker, and vectors) still finds it.
let database: TestDatabase;
const embedder = new HashedNgramEmbedder({ dimensions: 256 });
const fields = new FieldEncryption(
  new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'CHASSIS_PAYLOAD_KEY')),
);
const NAMESPACE = 'sealed';

beforeAll(async () => {
  database = await openTestDatabase('encrypted_memory');
  await ensureMemoryIndexes(database.db, { vectorSearch: 'exact', embedder: embedder.description });
});

afterAll(async () => {
  await database?.drop();
});

async function rawDump(collection: string): Promise<string> {
  const documents = await database.db.collection(collection).find({}).toArray();
  return BSON.EJSON.stringify(documents);
}

describe('memory with encryption on', () => {
  test('knowledge text and metadata are sealed at rest; a fresh worker cache finds them lexically and by vector', async () => {
    const writer = new KnowledgeStore(database.db, embedder, {
      cache: new KnowledgeIndexCache(database.db, { fields }),
    });
    await writer.importRecords(NAMESPACE, [
      {
        id: 'zebra',
        text: 'The quartermaster keeps the zebrafish logbook in cabinet nine.',
        meta: { owner: 'ZEBRA-META' },
      },
      { id: 'other', text: 'Deployments roll out region by region on weekdays.' },
    ]);
    await writer.saveFact({ namespace: NAMESPACE, text: 'The user likes the ZEBRAFACT aquarium.', source: 'test' });
    const raw = await rawDump(MemoryCollection.knowledge);
    expect(raw).not.toMatch(/zebrafish|quartermaster|ZEBRA-META|ZEBRAFACT/);

    // Another worker: loads the namespace from MongoDB and opens the text as it indexes it.
    const reader = new KnowledgeIndexCache(database.db, { fields });
    const dependencies = { db: database.db, embedder, cache: reader, vectorSearch: 'exact' as const };
    const lexical = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'zebrafish logbook',
      mode: 'lexical',
      k: 1,
    });
    expect(lexical.hits[0]?.chunk).toMatchObject({
      documentId: 'zebra',
      text: 'The quartermaster keeps the zebrafish logbook in cabinet nine.',
      meta: { owner: 'ZEBRA-META' },
    });
    const hybrid = await searchKnowledge(dependencies, { namespace: NAMESPACE, query: 'aquarium ZEBRAFACT', k: 1 });
    expect(hybrid.hits[0]?.chunk.text).toBe('The user likes the ZEBRAFACT aquarium.');
    // Listing opens the text too.
    expect((await writer.list(NAMESPACE, { kinds: ['fact'] })).map((chunk) => chunk.text)).toEqual([
      'The user likes the ZEBRAFACT aquarium.',
    ]);
    // The same fact again is an exact duplicate: the keyed content hash still matches.
    expect(
      await writer.saveFact({ namespace: NAMESPACE, text: 'the user likes the zebrafact  aquarium.', source: 't' }),
    ).toMatchObject({
      stored: false,
      similarity: 1,
    });
    // A process without the key cannot read it, and says why.
    const keyless = new KnowledgeIndexCache(database.db);
    await expect(keyless.get(NAMESPACE)).rejects.toThrow(/no key is configured: set CHASSIS_PAYLOAD_KEY/);
  });

  test('episodes are sealed at rest and recalled, recent and by relevance', async () => {
    const store = new EpisodesStore(database.db, { embedder, fields });
    await store.record({
      id: 'wf-1/task',
      sessionId: 's1',
      kind: 'task',
      role: 'assistant',
      content: 'Goal: book the OKAPI-TRIP. Answer: booked.',
    });
    await store.record({
      id: 'wf-2/task',
      sessionId: 's1',
      kind: 'task',
      role: 'assistant',
      content: 'Goal: weather.',
    });
    expect(await rawDump(MemoryCollection.episodes)).not.toContain('OKAPI');
    expect((await store.recent('s1')).map((episode) => episode.content)).toContain(
      'Goal: book the OKAPI-TRIP. Answer: booked.',
    );
    const [best] = await store.relevant('s1', 'okapi trip');
    expect(best?.episode.id).toBe('wf-1/task');
  });
});
