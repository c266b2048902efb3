import { Binary } from 'mongodb';
import { ensureMemoryIndexes, memoryCollections } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { searchKnowledge } from '../../src/memory/hybrid-search';
import { KnowledgeIndexCache } from '../../src/memory/knowledge-index-cache';
import { KnowledgeStore } from '../../src/memory/knowledge-store';
import { EmbedderMismatchError } from '../../src/memory/memory-errors';
import { decodeVector, dot } from '../../src/memory/vectors';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

let database: TestDatabase;
const embedder = new HashedNgramEmbedder({ dimensions: 128 });

beforeAll(async () => {
  database = await openTestDatabase('knowledge');
});

afterAll(async () => {
  await database.drop();
});

const PARAGRAPHS = [
  'Chassis runs every agent task as a Temporal workflow. Retries, timeouts and crash recovery come from the engine.',
  'Episodic memory records each turn of a session in MongoDB, keyed by the workflow id and the step, so retries never duplicate a turn.',
  'Semantic memory stores facts and document chunks with embeddings, their namespace, source, tags and creation time.',
  'The working context keeps recent turns verbatim and folds older turns into a running summary within a token budget.',
];

describe('ensureMemoryIndexes', () => {
  it('is idempotent and reports what the server can do', async () => {
    const first = await ensureMemoryIndexes(database.db, { vectorSearch: 'auto', embedder: embedder.description });
    const second = await ensureMemoryIndexes(database.db, { vectorSearch: 'auto', embedder: embedder.description });
    expect(second).toEqual(first);
    // FerretDB v1 stores BSON float32 vectors but has no Atlas Search.
    expect(first.vectorEncoding).toBe('float32-binary');
    expect(first.atlasVectorSearch).toBe(false);
    const names = (await memoryCollections(database.db).knowledge.indexes()).map((index) => index.name);
    expect(names).toEqual(expect.arrayContaining(['namespace_document', 'namespace_hash', 'namespace_kind_recent']));
    await expect(
      ensureMemoryIndexes(database.db, { vectorSearch: 'atlas', embedder: embedder.description }),
    ).rejects.toThrow(/CHASSIS_VECTOR_SEARCH=atlas but the server has no Atlas Search/);
  });
});

describe('KnowledgeStore ingestion', () => {
  it('chunks a document on paragraph boundaries and stores vectors as BSON float32 with their embedder', async () => {
    const store = new KnowledgeStore(database.db, embedder);
    const result = await store.ingestDocument({
      namespace: 'ingest',
      text: PARAGRAPHS.join('\n\n'),
      source: 'design.md',
      documentId: 'design',
      tags: ['docs'],
      chunking: { maxTokens: 40, overlapTokens: 0 },
    });
    expect(result.chunkCount).toBe(4);
    expect(result.storedIds).toEqual([0, 1, 2, 3].map((index) => `ingest/design#${index}`));
    expect(result.duplicates).toEqual([]);

    const raw = await memoryCollections(database.db).knowledge.findOne({ _id: 'ingest/design#1' });
    expect(raw?.text).toBe(PARAGRAPHS[1]);
    expect(raw?.embedding).toBeInstanceOf(Binary);
    expect((raw?.embedding as Binary).sub_type).toBe(Binary.SUBTYPE_VECTOR);
    // 4 bytes a dimension plus the 2-byte vector header: compact, not 8-byte doubles.
    expect((raw?.embedding as Binary).length()).toBe(128 * 4 + 2);
    expect(raw?.embedder).toEqual({ name: 'hashed-ngram-v1', dimensions: 128 });
    expect(raw).toMatchObject({
      namespace: 'ingest',
      kind: 'chunk',
      source: 'design.md',
      tags: ['docs'],
      documentId: 'design',
      chunkIndex: 1,
    });
    expect(raw?.createdAt).toBeInstanceOf(Date);
    const stored = decodeVector(raw?.embedding);
    const expected = embedder.embedOne(PARAGRAPHS[1]!);
    expect(Array.from(stored)).toEqual(Array.from(expected));
    expect(dot(stored, stored)).toBeCloseTo(1, 5);
  });

  it('is idempotent per document id, and skips exact and near duplicates of stored chunks', async () => {
    const store = new KnowledgeStore(database.db, embedder);
    const again = await store.ingestDocument({
      namespace: 'ingest',
      text: PARAGRAPHS.join('\n\n'),
      source: 'design.md',
      documentId: 'design',
      chunking: { maxTokens: 40, overlapTokens: 0 },
    });
    expect(again.storedIds).toEqual([]);
    expect(again.alreadyStoredIds).toHaveLength(4);

    const copy = [
      PARAGRAPHS[0]!.toUpperCase(), // exact after normalization
      PARAGRAPHS[2]!.replace('creation time', 'creation date'), // near
      'An unrelated paragraph about sourdough bread, starters and oven temperatures.',
    ].join('\n\n');
    const result = await store.ingestDocument({
      namespace: 'ingest',
      text: copy,
      source: 'copy.md',
      documentId: 'copy',
      chunking: { maxTokens: 40, overlapTokens: 0 },
      nearDuplicateThreshold: 0.9,
    });
    expect(result.duplicates).toEqual([
      { chunkIndex: 0, duplicateOf: 'ingest/design#0', reason: 'exact', similarity: 1 },
      { chunkIndex: 1, duplicateOf: 'ingest/design#2', reason: 'near', similarity: expect.any(Number) },
    ]);
    expect(result.duplicates[1]!.similarity).toBeGreaterThan(0.9);
    expect(result.storedIds).toEqual(['ingest/copy#2']);
    expect(await memoryCollections(database.db).knowledge.countDocuments({ namespace: 'ingest' })).toBe(5);
  });

  it('replaces the chunks of a document whose text changed under the same id', async () => {
    const store = new KnowledgeStore(database.db, embedder);
    const options = {
      namespace: 'versions',
      source: 'notes.md',
      documentId: 'notes',
      chunking: { maxTokens: 40, overlapTokens: 0 },
    };
    const first = await store.ingestDocument({ ...options, text: PARAGRAPHS.slice(0, 3).join('\n\n') });
    expect(first.storedIds).toHaveLength(3);
    const second = await store.ingestDocument({
      ...options,
      text: ['A rewritten introduction about durable agents.', PARAGRAPHS[1]].join('\n\n'),
    });
    expect(second.replacedChunks).toBe(3);
    expect(second.storedIds).toEqual(['versions/notes#0', 'versions/notes#1']);
    const texts = (await store.list('versions')).map((chunk) => chunk.text).sort();
    expect(texts).toEqual(['A rewritten introduction about durable agents.', PARAGRAPHS[1]].sort());
  });

  it('saves a fact once, recognising equal and nearly equal facts', async () => {
    const store = new KnowledgeStore(database.db, embedder);
    const first = await store.saveFact({
      namespace: 'facts',
      text: 'The user prefers tea over coffee in the morning.',
      source: 'wf-1',
    });
    expect(first.stored).toBe(true);
    const exact = await store.saveFact({
      namespace: 'facts',
      text: '  the user prefers TEA over coffee in the morning. ',
      source: 'wf-2',
    });
    expect(exact).toEqual({ id: first.id, stored: false, duplicateOf: first.id, similarity: 1 });
    const near = await store.saveFact({
      namespace: 'facts',
      text: 'The user prefers tea over coffee in the mornings.',
      source: 'wf-3',
      nearDuplicateThreshold: 0.85,
    });
    expect(near).toMatchObject({ stored: false, duplicateOf: first.id });
    const different = await store.saveFact({
      namespace: 'facts',
      text: 'The staging database runs on port 5433.',
      source: 'wf-4',
    });
    expect(different.stored).toBe(true);
    expect((await store.list('facts', { kinds: ['fact'] })).map((fact) => fact.text).sort()).toEqual([
      'The staging database runs on port 5433.',
      'The user prefers tea over coffee in the morning.',
    ]);
  });

  it('fails loudly when a namespace is written or searched with another embedder', async () => {
    const other = new HashedNgramEmbedder({ dimensions: 64 });
    const store = new KnowledgeStore(database.db, other);
    await expect(store.saveFact({ namespace: 'facts', text: 'Something new.', source: 'x' })).rejects.toBeInstanceOf(
      EmbedderMismatchError,
    );
    await expect(store.ingestDocument({ namespace: 'facts', text: 'Something new.', source: 'x' })).rejects.toThrow(
      /holds vectors of hashed-ngram-v1 \(128 dimensions\) but this worker embeds with hashed-ngram-v1 \(64 dimensions\)/,
    );
    await expect(
      searchKnowledge(
        { db: database.db, embedder: other, cache: new KnowledgeIndexCache(database.db) },
        { namespace: 'facts', query: 'tea' },
      ),
    ).rejects.toBeInstanceOf(EmbedderMismatchError);
  });
});

describe('KnowledgeStore bulk import', () => {
  it('keeps the given ids (also for repeated texts), chunks long records, de-duplicates texts without an id', async () => {
    const store = new KnowledgeStore(database.db, embedder);
    const long = Array.from(
      { length: 40 },
      (_, index) => `Sentence ${index} of the long record talks about gardens.`,
    ).join(' ');
    const result = await store.importRecords(
      'imported',
      [
        {
          id: 'r1',
          text: 'Alice moved to Porto in 2021.',
          session: 'sess-1',
          time: '2024-05-01T10:00:00Z',
          meta: { speaker: 'alice' },
        },
        { id: 'r2', text: 'Bob adopted a greyhound named Comet.', tags: ['pets'] },
        { id: 'r3', text: 'alice moved to porto in 2021.', session: 'sess-1' },
        { id: 'r4', text: long },
        { text: 'A note without an id.' },
        { text: 'a note without an ID.' },
      ],
      { batchSize: 2, chunking: { maxTokens: 100, overlapTokens: 0 } },
    );
    // r3 repeats r1's text under its own id: stored, so both ids stay findable. The second
    // id-less note repeats the first: de-duplicated (its id would be the same content hash).
    expect(result).toMatchObject({ records: 6, duplicates: 1, alreadyStored: 0 });
    expect(result.chunks).toBeGreaterThan(6);
    expect(result.stored).toBe(result.chunks - 1);
    const { knowledge } = memoryCollections(database.db);
    const r1 = await knowledge.findOne({ _id: 'imported/r1#0' });
    expect(r1).toMatchObject({ documentId: 'r1', sessionId: 'sess-1', meta: { speaker: 'alice' } });
    expect(r1?.occurredAt?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    // Records of one session are stored with their neighbours (indexed, never returned).
    expect(r1?.context).toEqual([{ text: 'alice moved to porto in 2021.', distance: 1 }]);
    expect(await knowledge.findOne({ _id: 'imported/r3#0' })).toMatchObject({ documentId: 'r3' });
    const found = await searchKnowledge(
      { db: database.db, embedder, cache: store.cache, vectorSearch: 'exact' },
      { namespace: 'imported', query: 'moved to Porto', k: 2, groupBy: 'document' },
    );
    expect(found.hits.map((hit) => hit.chunk.documentId).sort()).toEqual(['r1', 'r3']);
    expect(found.hits[0]?.chunk).not.toHaveProperty('context');
    const again = await store.importRecords('imported', [{ id: 'r1', text: 'Alice moved to Porto in 2021.' }]);
    expect(again).toMatchObject({ stored: 0, alreadyStored: 1 });
  });
});

describe('KnowledgeIndexCache across workers', () => {
  it('facts saved at once by one worker are all logged and all in its own index (FerretDB keeps one of concurrent updates)', async () => {
    const cache = new KnowledgeIndexCache(database.db);
    const writer = new KnowledgeStore(database.db, embedder, { cache });
    await writer.saveFact({ namespace: 'burst', text: 'The first fact is about apples.', source: 'seed' });
    const fruits = Array.from({ length: 30 }, (_, index) => `fruit-${String.fromCharCode(97 + (index % 26))}${index}`);
    const saved = await Promise.all(
      fruits.map((fruit, index) =>
        writer.saveFact({
          namespace: 'burst',
          text: `Fact ${index}: the ${fruit} harvest of ${1990 + index} was sold at the ${fruit} market.`,
          source: 'burst',
          nearDuplicateThreshold: 1,
        }),
      ),
    );
    expect(saved.every((result) => result.stored)).toBe(true);
    const state = await memoryCollections(database.db).namespaces.findOne({ _id: 'burst' });
    expect(state?.revision).toBe(1 + fruits.length);
    // Caught up through the log where a change came back out of order: either way, all of them.
    expect((await cache.get('burst'))?.size).toBe(1 + fruits.length);
    expect((await new KnowledgeIndexCache(database.db).get('burst'))?.size).toBe(1 + fruits.length);
  });

  it('reads a namespace again once its copy is older than maxAgeMs, so a fact its log lost is found', async () => {
    let now = 1_000_000;
    const readerCache = new KnowledgeIndexCache(database.db, { maxAgeMs: 60_000, now: () => now });
    const writer = new KnowledgeStore(database.db, embedder);
    await writer.saveFact({ namespace: 'unlogged', text: 'The canteen opens at half past eleven.', source: 'a' });
    expect((await readerCache.get('unlogged'))?.size).toBe(1);
    // What a lost log entry looks like: a second fact stored, the namespace document untouched
    // (FerretDB keeping another process's concurrent update instead of this one's).
    const { knowledge, namespaces } = memoryCollections(database.db);
    const before = await namespaces.findOne({ _id: 'unlogged' });
    await writer.saveFact({ namespace: 'unlogged', text: 'The night bus leaves at a quarter to one.', source: 'b' });
    await namespaces.replaceOne({ _id: 'unlogged' }, before!);
    expect(await knowledge.countDocuments({ namespace: 'unlogged' })).toBe(2);

    now += 59_000;
    expect((await readerCache.get('unlogged'))?.size).toBe(1);
    expect(readerCache.lastSync.get('unlogged')).toBe('fresh');
    now += 1_000;
    expect((await readerCache.get('unlogged'))?.size).toBe(2);
    expect(readerCache.lastSync.get('unlogged')).toBe('loaded');
  });

  it("catches up with another worker's writes and deletes through the change log, and reloads after bulk writes", async () => {
    const writer = new KnowledgeStore(database.db, embedder);
    const readerCache = new KnowledgeIndexCache(database.db);
    const search = (query: string) =>
      searchKnowledge(
        { db: database.db, embedder, cache: readerCache, vectorSearch: 'exact' },
        { namespace: 'shared', query, k: 3 },
      );

    await writer.saveFact({ namespace: 'shared', text: 'The release train leaves every second Tuesday.', source: 'a' });
    expect((await search('release train Tuesday')).hits[0]?.chunk.text).toContain('release train');
    expect(readerCache.lastSync.get('shared')).toBe('loaded');

    const saved = await writer.saveFact({
      namespace: 'shared',
      text: 'Incident reviews happen on Fridays at ten.',
      source: 'b',
    });
    expect((await search('incident reviews Fridays')).hits[0]?.chunk.id).toBe(saved.id);
    expect(readerCache.lastSync.get('shared')).toBe('caught-up');

    await search('anything');
    expect(readerCache.lastSync.get('shared')).toBe('fresh');

    await writer.delete('shared', { ids: [saved.id] });
    expect((await search('incident reviews Fridays')).hits.map((hit) => hit.chunk.id)).not.toContain(saved.id);
    expect(readerCache.lastSync.get('shared')).toBe('caught-up');

    const many = Array.from({ length: 300 }, (_, index) => ({
      id: `bulk-${index}`,
      text: `Bulk note ${index} about topic ${index % 7}.`,
    }));
    await writer.importRecords('shared', many);
    const afterBulk = await search('Bulk note 123');
    expect(readerCache.lastSync.get('shared')).toBe('loaded');
    expect(afterBulk.hits[0]?.chunk.documentId).toBe('bulk-123');
    expect(afterBulk.candidateCount).toBe(301);

    await writer.delete('shared');
    expect(await search('release train')).toEqual({ hits: [], mode: 'hybrid', strategy: 'exact', candidateCount: 0 });
    expect(await memoryCollections(database.db).namespaces.findOne({ _id: 'shared' })).toBeNull();
  });
});
