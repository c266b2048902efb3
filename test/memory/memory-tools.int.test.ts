import { MongoClient } from 'mongodb';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { KnowledgeIndexCache } from '../../src/memory/knowledge-index-cache';
import { KnowledgeStore } from '../../src/memory/knowledge-store';
import { createMemoryTools, memoryTools } from '../../src/memory/memory-tools';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { ToolRegistry } from '../../src/tools/registry';
import { ToolRunner } from '../../src/tools/tool-runner';

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase('tools');
  await ensureMemoryIndexes(database.db);
});

afterAll(async () => {
  await database.drop();
});

const context = (key: string) => ({
  idempotencyKey: key,
  signal: new AbortController().signal,
  heartbeat: () => undefined,
});

test('memory_save stores a fact once and memory_search finds it', async () => {
  const embedder = new HashedNgramEmbedder();
  const cache = new KnowledgeIndexCache(database.db);
  const store = new KnowledgeStore(database.db, embedder, { cache });
  const dependencies = { store, search: { db: database.db, embedder, cache }, namespace: 'agent' };
  const { memorySearch: search, memorySave: save } = createMemoryTools(dependencies);
  expect(memoryTools(dependencies).map((tool) => tool.name)).toEqual(['memory_search', 'memory_save']);

  const first = JSON.parse(
    await save.execute({ fact: 'The user prefers aisle seats on flights.', tags: ['travel'] }, context('wf/1/call-1')),
  );
  expect(first).toMatchObject({ saved: true });
  const again = JSON.parse(
    await save.execute({ fact: 'the user prefers aisle seats on flights.' }, context('wf/2/call-1')),
  );
  expect(again).toMatchObject({ saved: false, reason: 'already known', duplicateOf: first.id });

  const found = JSON.parse(
    await search.execute({ query: 'which seat does the user like on flights', k: 3 }, context('wf/3/call-1')),
  );
  expect(found.results[0]).toMatchObject({
    text: 'The user prefers aisle seats on flights.',
    source: 'tool:wf/1/call-1',
    kind: 'fact',
  });
  expect(save.input.safeParse({ fact: 'x' }).success).toBe(false);
});

test('with MongoDB unreachable, memory_search waits as infrastructure and is never a tool failure for the model', async () => {
  const unreachable = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 200 });
  const db = unreachable.db('nowhere');
  const embedder = new HashedNgramEmbedder();
  const cache = new KnowledgeIndexCache(db);
  const tools = memoryTools({
    store: new KnowledgeStore(db, embedder, { cache }),
    search: { db, embedder, cache },
    namespace: 'agent',
  });
  const waits: string[] = [];
  // No `db` for the runner: only the tool itself meets the outage.
  const runner = new ToolRunner({
    registry: new ToolRegistry(tools),
    outageBudgetMs: 1_000,
    warn: (m) => waits.push(m),
  });
  try {
    const failure = await runner
      .run(
        { id: 'call-1', name: 'memory_search', arguments: JSON.stringify({ query: 'seats' }) },
        context('wf/9/call-1'),
      )
      .then(
        (result) => result,
        (error: Error) => error,
      );
    expect(failure).toMatchObject({ name: 'InfrastructureUnavailableError', system: 'MongoDB' });
    expect(waits.join('\n')).toMatch(/MongoDB/);
  } finally {
    await unreachable.close();
  }
});
