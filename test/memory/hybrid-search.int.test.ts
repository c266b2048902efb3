import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { searchKnowledge, type KnowledgeSearchDependencies } from '../../src/memory/hybrid-search';
import { KnowledgeIndexCache } from '../../src/memory/knowledge-index-cache';
import { KnowledgeStore } from '../../src/memory/knowledge-store';
import { signalWeights } from '../../src/memory/signal-weights';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

let database: TestDatabase;
let dependencies: KnowledgeSearchDependencies;
const embedder = new HashedNgramEmbedder({ dimensions: 256 });
const NAMESPACE = 'handbook';

const CORPUS: Array<{ id: string; text: string; tags?: string[] }> = [
  {
    id: 'password',
    text: 'To reset a forgotten password, open Settings, choose Security and follow the reset link sent by email.',
    tags: ['accounts'],
  },
  {
    id: 'duplicate-key',
    text: 'Error E11000 means a duplicate key: a document with the same _id or unique field already exists.',
    tags: ['mongodb'],
  },
  {
    id: 'kubernetes',
    text: 'Deployments of containerized services run on Kubernetes clusters, rolled out region by region.',
    tags: ['ops'],
  },
  {
    id: 'vacation',
    text: 'Employees accrue twenty-five vacation days a year; unused days carry over until March.',
    tags: ['hr'],
  },
  {
    id: 'expenses',
    text: 'Travel expenses are reimbursed within thirty days when receipts are attached to the claim.',
    tags: ['hr'],
  },
  {
    id: 'temporal',
    text: 'Temporal workflows replay their event history, so workflow code must be deterministic.',
    tags: ['ops'],
  },
  {
    id: 'coffee',
    text: 'The office coffee machine on the third floor is descaled every Monday morning.',
    tags: ['office'],
  },
  {
    id: 'oncall',
    text: 'The on-call engineer acknowledges pages within five minutes and escalates after fifteen.',
    tags: ['ops'],
  },
  {
    id: 'backups',
    text: 'Database backups are taken nightly and kept for thirty-five days in a second region.',
    tags: ['ops'],
  },
  {
    id: 'security-keys',
    text: 'Hardware security keys are required for production access and for signing releases.',
    tags: ['accounts', 'ops'],
  },
];

beforeAll(async () => {
  database = await openTestDatabase('hybrid');
  await ensureMemoryIndexes(database.db, { vectorSearch: 'auto', embedder: embedder.description });
  const cache = new KnowledgeIndexCache(database.db);
  const store = new KnowledgeStore(database.db, embedder, { cache });
  await store.importRecords(NAMESPACE, CORPUS, { source: 'handbook' });
  await store.saveFact({
    namespace: NAMESPACE,
    text: 'The user resets passwords only from the company laptop.',
    source: 'wf-9',
  });
  // A fresh cache: searches load the namespace from MongoDB like another worker would.
  dependencies = { db: database.db, embedder, cache: new KnowledgeIndexCache(database.db), vectorSearch: 'auto' };
});

afterAll(async () => {
  await database.drop();
});

async function topIds(query: string, mode: 'hybrid' | 'vector' | 'lexical', k = 3): Promise<string[]> {
  const result = await searchKnowledge(dependencies, { namespace: NAMESPACE, query, mode, k, kinds: ['chunk'] });
  return result.hits.map((hit) => hit.chunk.documentId);
}

describe('searchKnowledge on FerretDB (exact path)', () => {
  it.each([
    ['how do I reset my forgotten password', 'password'],
    ['what does error E11000 mean', 'duplicate-key'],
    ['deploying containers to clusters', 'kubernetes'],
    ['how many vacation days do employees get', 'vacation'],
    ['are travel expenses reimbursed', 'expenses'],
    ['why must workflow code be deterministic', 'temporal'],
  ])('ranks the right entry first for "%s" in every mode', async (query, expected) => {
    expect((await topIds(query, 'hybrid'))[0]).toBe(expected);
    expect((await topIds(query, 'vector'))[0]).toBe(expected);
    expect((await topIds(query, 'lexical'))[0]).toBe(expected);
  });

  it('reports the strategy, the candidates and the signals behind each hit', async () => {
    const result = await searchKnowledge(dependencies, { namespace: NAMESPACE, query: 'reset password', k: 2 });
    expect(result).toMatchObject({ mode: 'hybrid', strategy: 'exact', candidateCount: CORPUS.length + 1 });
    const [first] = result.hits;
    expect(first?.signals.vector?.rank).toBeGreaterThanOrEqual(1);
    expect(first?.signals.lexical?.rank).toBeGreaterThanOrEqual(1);
    // Weighted fusion: the hashed embedder's vectors are a lexical signal, so they weigh 0.1.
    expect(signalWeights(embedder)).toEqual({ lexical: 1, vector: 0.1 });
    expect(first?.score).toBeCloseTo(
      0.1 / (60 + first!.signals.vector!.rank) + 1 / (60 + first!.signals.lexical!.rank),
      12,
    );
    expect(first?.chunk).toMatchObject({
      namespace: NAMESPACE,
      source: expect.any(String),
      embedder: embedder.description,
    });
    expect(typeof first?.chunk.createdAt).toBe('string');

    const vector = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'reset password',
      mode: 'vector',
      k: 3,
    });
    for (const hit of vector.hits) {
      expect(hit.score).toBe(hit.signals.vector?.score);
      expect(hit.signals.lexical).toBeUndefined();
      expect(hit.score).toBeLessThanOrEqual(1.0001);
    }
    expect(vector.hits[0]!.score).toBeGreaterThanOrEqual(vector.hits[1]!.score);
  });

  it('filters by kind and by tags', async () => {
    const facts = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'reset password',
      kinds: ['fact'],
    });
    expect(facts.hits.map((hit) => hit.chunk.kind)).toEqual(['fact']);
    expect(facts.candidateCount).toBe(1);
    const ops = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'security keys for production',
      tags: ['ops', 'accounts'],
    });
    expect(ops.hits.map((hit) => hit.chunk.documentId)).toEqual(['security-keys']);
  });

  it('returns the best chunk per document when grouping by document', async () => {
    const store = new KnowledgeStore(database.db, embedder, { cache: dependencies.cache });
    const long = Array.from(
      { length: 30 },
      (_, index) => `Section ${index}: the zebra crossing rules for cyclists, part ${index}.`,
    ).join(' ');
    await store.importRecords(NAMESPACE, [{ id: 'zebra', text: long }], {
      chunking: { maxTokens: 60, overlapTokens: 0 },
    });
    const chunks = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'zebra crossing cyclists',
      k: 5,
    });
    expect(chunks.hits.filter((hit) => hit.chunk.documentId === 'zebra').length).toBeGreaterThan(1);
    const documents = await searchKnowledge(dependencies, {
      namespace: NAMESPACE,
      query: 'zebra crossing cyclists',
      k: 5,
      groupBy: 'document',
    });
    const ids = documents.hits.map((hit) => hit.chunk.documentId);
    expect(ids[0]).toBe('zebra');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('answers an unknown namespace with no hits and rejects an empty query', async () => {
    expect(await searchKnowledge(dependencies, { namespace: 'nobody', query: 'anything' })).toEqual({
      hits: [],
      mode: 'hybrid',
      strategy: 'exact',
      candidateCount: 0,
    });
    await expect(searchKnowledge(dependencies, { namespace: NAMESPACE, query: '  ' })).rejects.toThrow(
      /query is empty/,
    );
    await expect(searchKnowledge(dependencies, { namespace: NAMESPACE, query: 'x', k: 0 })).rejects.toThrow(
      /k must be/,
    );
  });
});

describe('searchKnowledge over an imported conversation (context and time)', () => {
  const CONVERSATION = 'conversation';

  beforeAll(async () => {
    const store = new KnowledgeStore(database.db, embedder, { cache: dependencies.cache });
    const turn = (id: string, session: string, time: string, speaker: string, text: string) => ({
      id,
      text,
      session,
      time,
      meta: { speaker },
    });
    await store.importRecords(CONVERSATION, [
      turn('s1-1', 's1', '2023-05-08T13:00:00Z', 'Ana', 'We finally adopted a rescue greyhound!'),
      turn('s1-2', 's1', '2023-05-08T13:00:00Z', 'Ben', 'Wonderful! What is she like?'),
      turn('s1-3', 's1', '2023-05-08T13:00:00Z', 'Ana', 'She sleeps on the sofa all day.'),
      turn('s2-1', 's2', '2023-09-02T10:00:00Z', 'Ben', 'I painted the kitchen a pale green.'),
      turn('s2-2', 's2', '2023-09-02T10:00:00Z', 'Ana', 'Nice, we went hiking in the mountains.'),
      turn(
        's3-1',
        's3',
        '2023-05-20T10:00:00Z',
        'Ben',
        'We went hiking by the sea with friends from the old climbing club.',
      ),
    ]);
  });

  it('finds a turn through its neighbours, below the turn that says it itself', async () => {
    const result = await searchKnowledge(dependencies, {
      namespace: CONVERSATION,
      query: 'greyhound',
      mode: 'lexical',
      k: 3,
    });
    const ids = result.hits.map((hit) => hit.chunk.documentId);
    // s1-3 never says "greyhound"; its neighbours do.
    expect(ids[0]).toBe('s1-1');
    expect(ids).toEqual(expect.arrayContaining(['s1-2', 's1-3']));
    expect(result.hits.find((hit) => hit.chunk.documentId === 's1-3')?.chunk.text).toBe(
      'She sleeps on the sofa all day.',
    );
  });

  it('finds turns by their date and speaker as words', async () => {
    const byDate = await searchKnowledge(dependencies, {
      namespace: CONVERSATION,
      query: 'September',
      mode: 'lexical',
    });
    expect(byDate.hits.map((hit) => hit.chunk.documentId).sort()).toEqual(['s2-1', 's2-2']);
    const bySpeaker = await searchKnowledge(dependencies, { namespace: CONVERSATION, query: 'Ben', mode: 'lexical' });
    expect(bySpeaker.hits.map((hit) => hit.chunk.documentId)).toEqual(expect.arrayContaining(['s1-2', 's2-1', 's3-1']));
  });

  it('raises the memories of the time a query names, in hybrid mode only', async () => {
    const query = 'Where did they go hiking last month?';
    // The shorter turn ranks first by its words alone.
    const lexical = await searchKnowledge(dependencies, { namespace: CONVERSATION, query, mode: 'lexical', k: 2 });
    expect(lexical.hits.map((hit) => hit.chunk.documentId)).toEqual(['s2-2', 's3-1']);
    // Asked in June 2023, "last month" is May 2023: the May turn goes first.
    const hybrid = await searchKnowledge(
      dependencies,
      { namespace: CONVERSATION, query, k: 2 },
      { now: new Date('2023-06-10T00:00:00Z') },
    );
    expect(hybrid.hits.map((hit) => hit.chunk.documentId)).toEqual(['s3-1', 's2-2']);
    const may = hybrid.hits[0]!;
    // Its fused score raised by half.
    expect(may.score).toBeCloseTo(
      1.5 *
        (0.1 / (60 + (may.signals.vector?.rank ?? Number.POSITIVE_INFINITY)) + 1 / (60 + may.signals.lexical!.rank)),
      12,
    );
    // Asked in October, May is not "last month": words decide again.
    const later = await searchKnowledge(
      dependencies,
      { namespace: CONVERSATION, query, k: 2 },
      { now: new Date('2023-10-10T00:00:00Z') },
    );
    expect(later.hits[0]?.chunk.documentId).toBe('s2-2');
  });
});
