import { EpisodesStore } from '../../src/memory/episodes-store';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { ensureMemoryIndexes, memoryCollections } from '../../src/memory/database';
import { EmbedderMismatchError } from '../../src/memory/memory-errors';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

let database: TestDatabase;
const embedder = new HashedNgramEmbedder({ dimensions: 128 });

beforeAll(async () => {
  database = await openTestDatabase('episodes');
  await ensureMemoryIndexes(database.db, { vectorSearch: 'auto', embedder: embedder.description });
});

afterAll(async () => {
  await database.drop();
});

function at(minute: number): string {
  return new Date(Date.UTC(2026, 0, 2, 10, minute)).toISOString();
}

describe('EpisodesStore', () => {
  it('records an episode once per id, whatever the retries', async () => {
    const store = new EpisodesStore(database.db, { embedder });
    const episode = {
      id: 'wf-1/turn-1',
      sessionId: 's-idem',
      workflowId: 'wf-1',
      kind: 'turn' as const,
      role: 'user' as const,
      content: 'Hello',
      occurredAt: at(0),
    };
    const results = await Promise.all([
      store.record(episode),
      store.record(episode),
      store.record({ ...episode, content: 'Changed on retry' }),
    ]);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(results.every((result) => result.id === 'wf-1/turn-1')).toBe(true);
    const stored = await memoryCollections(database.db).episodes.find({ sessionId: 's-idem' }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.embedder).toEqual(embedder.description);
  });

  it('recalls a session by recency, oldest first, other sessions and kinds left out', async () => {
    const store = new EpisodesStore(database.db, { embedder });
    for (let minute = 0; minute < 12; minute += 1) {
      await store.record({
        id: `wf-2/turn-${minute}`,
        sessionId: 's-recent',
        kind: 'turn',
        role: minute % 2 === 0 ? 'user' : 'assistant',
        content: `message ${minute}`,
        occurredAt: at(minute),
      });
    }
    await store.record({
      id: 'wf-2/summary',
      sessionId: 's-recent',
      kind: 'summary',
      role: 'system',
      content: 'the summary',
      occurredAt: at(30),
    });
    await store.record({
      id: 'other/turn-1',
      sessionId: 's-other',
      kind: 'turn',
      role: 'user',
      content: 'not mine',
      occurredAt: at(59),
    });

    const recent = await store.recent('s-recent', { limit: 3, kinds: ['turn'] });
    expect(recent.map((episode) => episode.content)).toEqual(['message 9', 'message 10', 'message 11']);
    expect(recent[0]).toMatchObject({
      id: 'wf-2/turn-9',
      sessionId: 's-recent',
      kind: 'turn',
      role: 'assistant',
      importance: 0.5,
      workflowId: null,
      occurredAt: at(9),
    });
    expect(typeof recent[0]?.recordedAt).toBe('string');
    const all = await store.recent('s-recent', { limit: 2 });
    expect(all.map((episode) => episode.id)).toEqual(['wf-2/turn-11', 'wf-2/summary']);
  });

  it('recalls by relevance to a goal, weighted by importance', async () => {
    const store = new EpisodesStore(database.db, { embedder });
    const episodes = [
      ['Booked the flight to Lisbon for the conference on 12 March.', 0.5],
      ['The user likes window seats on long flights.', 0.9],
      ['Discussed the quarterly budget spreadsheet formulas.', 0.5],
      ['Chatted about the weather.', 0.1],
      ['Reviewed the pull request for the payment service.', 0.5],
    ] as const;
    for (const [index, [content, importance]] of episodes.entries()) {
      await store.record({
        id: `wf-3/turn-${index}`,
        sessionId: 's-relevant',
        kind: 'turn',
        role: 'user',
        content,
        importance,
        occurredAt: at(index),
      });
    }
    const relevant = await store.relevant('s-relevant', 'which seat does the user want on the flight to Lisbon?', {
      limit: 2,
    });
    expect(relevant.map((item) => item.episode.id).sort()).toEqual(['wf-3/turn-0', 'wf-3/turn-1']);
    expect(relevant[0]?.signals.vector).toBeDefined();
    expect(relevant[0]?.signals.lexical).toBeDefined();
    const excluded = await store.relevant('s-relevant', 'flight Lisbon seat', {
      limit: 5,
      excludeIds: new Set(['wf-3/turn-1']),
    });
    expect(excluded.map((item) => item.episode.id)).not.toContain('wf-3/turn-1');
    expect(await store.relevant('s-relevant', '   ')).toEqual([]);
  });

  it('recalls in one read what recent and then relevant-excluding-those find, in the same order', async () => {
    const store = new EpisodesStore(database.db, { embedder });
    const contents = [
      'Booked the flight to Lisbon for the conference on 12 March.',
      'The user likes window seats on long flights.',
      'Discussed the quarterly budget spreadsheet formulas.',
      'The Lisbon hotel is near the conference centre.',
      'Reviewed the pull request for the payment service.',
      'Asked for an aisle seat on the flight back from Lisbon.',
      'Chatted about the weather.',
    ];
    for (const [index, content] of contents.entries()) {
      await store.record({
        id: `wf-recall/turn-${index}`,
        sessionId: 's-recall',
        kind: 'turn',
        role: 'user',
        content,
        importance: 0.5,
        occurredAt: at(index),
      });
    }
    const goal = 'which seat on the flight to Lisbon?';
    const recent = await store.recent('s-recall', { limit: 2 });
    const relevant = await store.relevant('s-recall', goal, {
      limit: 3,
      excludeIds: new Set(recent.map((episode) => episode.id)),
    });
    const recalled = await store.recall('s-recall', goal, { recentLimit: 2, relevantLimit: 3 });
    expect(recalled.recent.map((episode) => episode.id)).toEqual(['wf-recall/turn-5', 'wf-recall/turn-6']);
    expect(recalled.recent).toEqual(recent);
    expect(recalled.relevant).toEqual(relevant);
    expect(recalled.relevant.map((item) => item.episode.id)).not.toContain('wf-recall/turn-5');
    expect(await store.recall('s-recall', '  ', { recentLimit: 2 })).toEqual({ recent, relevant: [] });
  });

  it('refuses to compare episodes embedded by another embedder', async () => {
    await new EpisodesStore(database.db, { embedder }).record({
      id: 'wf-4/turn-1',
      sessionId: 's-mixed',
      kind: 'turn',
      role: 'user',
      content: 'first words',
      occurredAt: at(0),
    });
    const other = new EpisodesStore(database.db, { embedder: new HashedNgramEmbedder({ dimensions: 64 }) });
    await expect(other.relevant('s-mixed', 'first words')).rejects.toBeInstanceOf(EmbedderMismatchError);
  });

  it('rejects invalid episodes before writing', async () => {
    const store = new EpisodesStore(database.db, { embedder });
    await expect(store.record({ id: '', sessionId: 's', kind: 'turn', role: 'user', content: 'x' })).rejects.toThrow(
      /id is empty/,
    );
    await expect(
      store.record({ id: 'x', sessionId: 's', kind: 'turn', role: 'user', content: 'x', importance: 2 }),
    ).rejects.toThrow(/importance/);
    await expect(
      store.record({ id: 'x', sessionId: 's', kind: 'turn', role: 'user', content: 'x', occurredAt: 'yesterday' }),
    ).rejects.toThrow(/ISO 8601/);
  });
});
