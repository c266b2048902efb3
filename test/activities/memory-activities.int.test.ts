import { createServer } from 'node:net';
import { MongoClient } from 'mongodb';
import { createMemoryActivities } from '../../src/activities/memory-activities';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { OpenAIEmbedder } from '../../src/memory/embedders/openai-embedder';
import { KnowledgeStore } from '../../src/memory/knowledge-store';
import { countTokens } from '../../src/models/token-count';
import { ModelCatalog } from '../../src/models/catalog';
import { ModelGateway } from '../../src/models/model-gateway';
import type { ModelScriptInput, ScriptedModelServer } from '../../src/testing/scripted-model';
import { failureOf, runActivity } from './support/activity-environment';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

const SMALL_MODEL = 'gpt-4.1-nano';
const LONG_SUMMARY = Array.from(
  { length: 40 },
  (_, index) => `Detail number ${index} about the errands was discussed at length.`,
).join(' ');

// The scripted server is a test double for the provider: it answers by rule, never thinks.
const SCRIPT: ModelScriptInput = {
  rules: [
    {
      name: 'summarize-tight',
      match: { system: '^You compress conversation history', lastUser: 'at most 20 tokens' },
      reply: { content: LONG_SUMMARY },
    },
    {
      name: 'summarize',
      match: { system: '^You compress conversation history' },
      reply: { content: 'The user is planning a trip to Lisbon in May and prefers window seats.' },
      usage: { inputTokens: 300, outputTokens: 20 },
    },
    {
      name: 'extract-malformed',
      match: { system: '^You extract durable facts', anyMessage: 'MALFORMED' },
      reply: { content: 'Sure! Here are the facts: the user likes tea.' },
    },
    {
      name: 'extract',
      match: { system: '^You extract durable facts' },
      reply: {
        content: JSON.stringify({
          facts: [
            { text: 'The user prefers window seats on flights.', category: 'preference' },
            { text: 'The user prefers window seats on flights.', category: 'preference' },
            { text: 'The user decided to travel to Lisbon in May.', category: 'decision' },
            { text: 'The user prefers window seats on flights!', category: 'preference' },
          ],
        }),
      },
    },
  ],
  embeddings: { dimensions: 64 },
};

let database: TestDatabase;
let model: ScriptedModelServer;
let models: ModelGateway;
const embedder = new HashedNgramEmbedder({ dimensions: 128 });

beforeAll(async () => {
  database = await openTestDatabase('activities');
  await ensureMemoryIndexes(database.db, { embedder: embedder.description });
  model = await startQuietScriptedModel(SCRIPT);
  models = new ModelGateway({
    catalog: new ModelCatalog(),
    timeoutMs: 5_000,
    singleEndpoint: { baseUrl: model.baseURL },
  });
});

afterAll(async () => {
  await model.close();
  await database.drop();
});

beforeEach(() => model.setScript(SCRIPT));

type SentMessage = { role: string; content: string };
function sentMessages(index: number): SentMessage[] {
  return (model.requests[index]?.body as { messages: SentMessage[] }).messages;
}

describe('memory activities on the real local stack', () => {
  it('remember and recall: idempotent episodes, recency, relevance and knowledge', async () => {
    const activities = createMemoryActivities({ db: database.db, embedder, models });
    const turns = [
      ['user', 'I want to fly to Lisbon in May.'],
      ['assistant', 'Noted: Lisbon in May.'],
      ['user', 'Please book a window seat.'],
      ['assistant', 'I will look for window seats.'],
      ['user', 'Also, what is the weather like there?'],
    ] as const;
    for (const [index, [role, content]] of turns.entries()) {
      const episode = {
        id: `wf-trip/turn-${index}`,
        sessionId: 'trip',
        workflowId: 'wf-trip',
        kind: 'turn' as const,
        role,
        content,
        occurredAt: new Date(Date.UTC(2026, 0, 1, 9, index)).toISOString(),
      };
      expect(await runActivity(() => activities.rememberEpisode({ episode }))).toEqual({
        id: episode.id,
        created: true,
      });
      // A retried activity stores nothing new.
      expect(await runActivity(() => activities.rememberEpisode({ episode }))).toEqual({
        id: episode.id,
        created: false,
      });
    }
    await runActivity(() =>
      activities.saveFact({
        namespace: 'trips',
        text: 'The user is afraid of turbulence on long flights.',
        source: 'wf-old',
      }),
    );

    const recall = await runActivity(() =>
      activities.recall({
        sessionId: 'trip',
        goal: 'book the seat on the Lisbon flight',
        recentLimit: 2,
        relevantLimit: 2,
        knowledge: { namespace: 'trips', k: 3 },
      }),
    );
    expect(recall.recent.map((episode) => episode.content)).toEqual([
      'I will look for window seats.',
      'Also, what is the weather like there?',
    ]);
    // Of the three older turns, the two that share words with the goal (seat, Lisbon).
    expect(recall.relevant.map((item) => item.episode.content).sort()).toEqual([
      'Noted: Lisbon in May.',
      'Please book a window seat.',
    ]);
    expect(recall.relevant.every((item) => !['wf-trip/turn-3', 'wf-trip/turn-4'].includes(item.episode.id))).toBe(true);
    expect(recall.knowledge[0]?.chunk.text).toContain('turbulence');
    // Only JSON crosses the boundary.
    expect(JSON.parse(JSON.stringify(recall))).toEqual(recall);
  });

  it('summarize folds turns into the summary with the small model, and never exceeds the target', async () => {
    const activities = createMemoryActivities({ db: database.db, embedder, models });
    const result = await runActivity(() =>
      activities.summarize({
        model: SMALL_MODEL,
        previousSummary: 'The user is planning a trip.',
        messages: [
          { role: 'user', content: 'Lisbon in May, window seat please.' },
          { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'flights', arguments: '{"to":"LIS"}' }] },
          { role: 'tool', toolCallId: 'c1', content: '{"flights":3}' },
        ],
        targetTokens: 200,
      }),
    );
    expect(result).toMatchObject({
      summary: 'The user is planning a trip to Lisbon in May and prefers window seats.',
      truncated: false,
      usage: { model: SMALL_MODEL, inputTokens: 300, outputTokens: 20 },
    });
    expect(result.tokens).toBe(countTokens(result.summary));
    const [system, request] = sentMessages(0);
    expect(system?.role).toBe('system');
    expect(request?.content).toContain('Summary so far:\n<<<\nThe user is planning a trip.\n>>>');
    expect(request?.content).toContain('user: Lisbon in May, window seat please.');
    expect(request?.content).toContain('[calls flights({"to":"LIS"})]');
    expect(request?.content).toContain('tool result: {"flights":3}');
    expect((model.requests[0]?.body as { temperature: number }).temperature).toBe(0);

    const tight = await runActivity(() =>
      activities.summarize({ model: SMALL_MODEL, previousSummary: LONG_SUMMARY, messages: [], targetTokens: 20 }),
    );
    expect(tight.truncated).toBe(true);
    expect(tight.tokens).toBeLessThanOrEqual(20);
    expect(tight.summary).toMatch(/\.$/);
    expect(sentMessages(1)[1]?.content).toContain('Compress the summary so far');

    expect(
      await failureOf(runActivity(() => activities.summarize({ model: SMALL_MODEL, messages: [], targetTokens: 100 }))),
    ).toMatchObject({
      type: 'Memory.InvalidInput',
      nonRetryable: true,
    });
  });

  it('extractFacts stores durable facts once, de-duplicated within the answer and against memory', async () => {
    const activities = createMemoryActivities({ db: database.db, embedder, models });
    const messages = [
      { role: 'user' as const, content: 'Book me a window seat to Lisbon for May, as always.' },
      { role: 'assistant' as const, content: 'Booked: window seat, Lisbon, 14 May.' },
    ];
    const first = await runActivity(() =>
      activities.extractFacts({
        model: SMALL_MODEL,
        namespace: 'facts',
        messages,
        source: 'wf-1',
        nearDuplicateThreshold: 0.9,
      }),
    );
    expect(first.facts.map((fact) => [fact.text, fact.stored])).toEqual([
      ['The user prefers window seats on flights.', true],
      ['The user decided to travel to Lisbon in May.', true],
      ['The user prefers window seats on flights!', false],
    ]);
    expect(first.facts[2]).toMatchObject({ duplicateOf: first.facts[0]!.id });
    expect(first.facts[0]).toMatchObject({ category: 'preference' });
    // Structured output was asked for, and the transcript reached the model.
    const body = model.requests[0]?.body as {
      response_format?: { type: string; json_schema: { name: string } };
      messages: SentMessage[];
    };
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'facts' } });
    expect(body.messages[1]?.content).toContain('user: Book me a window seat to Lisbon for May, as always.');

    // A retry (or the next task saying the same) stores nothing new.
    const again = await runActivity(() =>
      activities.extractFacts({ model: SMALL_MODEL, namespace: 'facts', messages, source: 'wf-2' }),
    );
    expect(again.facts.every((fact) => !fact.stored)).toBe(true);
    const stored = await new KnowledgeStore(database.db, embedder).list('facts', { kinds: ['fact'] });
    expect(stored.map((fact) => fact.text).sort()).toEqual([
      'The user decided to travel to Lisbon in May.',
      'The user prefers window seats on flights.',
    ]);
    expect(stored.find((fact) => fact.text.includes('window'))?.meta).toEqual({ category: 'preference' });

    const malformed = await failureOf(
      runActivity(() =>
        activities.extractFacts({
          model: SMALL_MODEL,
          namespace: 'facts',
          messages: [{ role: 'user', content: 'MALFORMED' }],
          source: 'wf-3',
        }),
      ),
    );
    expect(malformed).toMatchObject({ type: 'Memory.ModelOutputInvalid', nonRetryable: false });
  });

  it('ingests and searches with OpenAI embeddings from the scripted server, and rejects mixing embedders', async () => {
    const openai = new OpenAIEmbedder({ baseUrl: model.baseURL, model: 'text-embedding-3-small', dimensions: 64 });
    expect(openai.description).toEqual({ name: 'openai:text-embedding-3-small', dimensions: 64 });
    const activities = createMemoryActivities({ db: database.db, embedder: openai, models });
    const ingested = await runActivity(() =>
      activities.ingestDocument({
        namespace: 'openai-docs',
        source: 'notes.md',
        text: 'Lisbon trams are yellow.\n\nPorto has a famous bookshop.',
        chunking: { maxTokens: 10, overlapTokens: 0 },
      }),
    );
    expect(ingested.storedIds).toHaveLength(2);
    const embeddingsRequest = model.allRequests.find((request) => request.path === '/v1/embeddings');
    expect(embeddingsRequest?.body).toMatchObject({
      model: 'text-embedding-3-small',
      dimensions: 64,
      input: ['Lisbon trams are yellow.', 'Porto has a famous bookshop.'],
    });
    const found = await runActivity(() =>
      activities.searchKnowledge({ namespace: 'openai-docs', query: 'yellow trams', k: 1 }),
    );
    expect(found.hits[0]?.chunk).toMatchObject({
      text: 'Lisbon trams are yellow.',
      embedder: { name: 'openai:text-embedding-3-small', dimensions: 64 },
    });

    const local = createMemoryActivities({ db: database.db, embedder, models });
    expect(
      await failureOf(runActivity(() => local.searchKnowledge({ namespace: 'openai-docs', query: 'trams' }))),
    ).toMatchObject({
      type: 'Memory.EmbedderMismatch',
      nonRetryable: true,
    });

    // The scripted server answers 64 dimensions; an embedder expecting the model's native 1536 refuses them.
    const native = new OpenAIEmbedder({ baseUrl: model.baseURL, model: 'text-embedding-3-small' });
    await expect(native.embed(['x'])).rejects.toThrow(/returned 64 dimensions, expected 1536/);
  });
});

describe('memory activities with MongoDB down', () => {
  let client: MongoClient;

  beforeAll(async () => {
    // A port nobody listens on: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
      });
    });
    client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 });
  });

  afterAll(async () => {
    await client.close();
  });

  it('fails every read and write with a retryable Memory.Unavailable, so the engine retries writes', async () => {
    const activities = createMemoryActivities({ db: client.db('nowhere'), embedder, models });
    const episode = {
      id: 'wf-down/turn-1',
      sessionId: 'down',
      kind: 'turn' as const,
      role: 'user' as const,
      content: 'hello',
    };
    const attempts: Array<() => Promise<unknown>> = [
      () => activities.rememberEpisode({ episode }),
      () => activities.recall({ sessionId: 'down', goal: 'anything' }),
      () => activities.searchKnowledge({ namespace: 'docs', query: 'anything' }),
      () => activities.saveFact({ namespace: 'docs', text: 'A fact.', source: 'wf-down' }),
      () => activities.ingestDocument({ namespace: 'docs', text: 'A document.', source: 'wf-down' }),
    ];
    for (const attempt of attempts) {
      const failure = await failureOf(runActivity(attempt));
      expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'Memory.Unavailable', nonRetryable: false });
      expect(failure.message).toMatch(/MongoDB is unreachable .*chassis dev up/);
    }
  });
});
