import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import type { EpisodeInput, EpisodeKind } from '../../src/contracts/memory';
import { sweepRetention } from '../../src/lifecycle/retention-sweep';
import { TemporalWorkflowLiveness } from '../../src/lifecycle/workflow-liveness';
import { ensureMemoryIndexes, memoryCollections } from '../../src/memory/database';
import type { EpisodeDocument } from '../../src/memory/documents';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { EpisodeWindowCache } from '../../src/memory/episode-window-cache';
import { EpisodesStore } from '../../src/memory/episodes-store';
import { sealEpisode } from '../../src/memory/sealed-documents';
import { logEpisodeChange, MAX_LOGGED_CHANGES } from '../../src/memory/session-heads';
import { encodeVector, normalizeInPlace } from '../../src/memory/vectors';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

// The cache on the real MongoDB-wire server (FerretDB here). Every check compares what a
// store reading through the cache recalls with what a store without one recalls from the
// same database at the same moment, so a stale or mis-ordered window fails it.

let database: TestDatabase;
const embedder = new HashedNgramEmbedder({ dimensions: 64 });

beforeAll(async () => {
  database = await openTestDatabase('episode_windows');
  await ensureMemoryIndexes(database.db, { vectorSearch: 'exact', embedder: embedder.description });
});

afterAll(async () => {
  await database.drop();
});

const BASE = Date.UTC(2026, 0, 2, 10, 0);

function at(minute: number): string {
  return new Date(BASE + minute * 60_000).toISOString();
}

function turn(
  sessionId: string,
  id: string,
  minute: number,
  content: string,
  kind: EpisodeKind = 'turn',
): EpisodeInput {
  return { id, sessionId, kind, role: 'user', content, occurredAt: at(minute) };
}

/** A store reading through `windows` and one reading MongoDB, over the same database. */
function stores(windows: EpisodeWindowCache, options: { relevanceWindow?: number; now?: () => Date } = {}) {
  return {
    cached: new EpisodesStore(database.db, { embedder, windows, ...options }),
    plain: new EpisodesStore(database.db, { embedder, ...options }),
  };
}

type Recall = Parameters<EpisodesStore['recall']>[2];

async function expectSameRecall(
  cached: EpisodesStore,
  plain: EpisodesStore,
  sessionId: string,
  goal: string,
  options: Recall = {},
) {
  const fromCache = await cached.recall(sessionId, goal, options);
  const fromMongo = await plain.recall(sessionId, goal, options);
  expect(fromCache).toEqual(fromMongo);
  return fromCache;
}

const ids = (episodes: ReadonlyArray<{ id: string } | { episode: { id: string } }>) =>
  episodes.map((item) => ('episode' in item ? item.episode.id : item.id));

async function head(sessionId: string) {
  return memoryCollections(database.db).sessions.findOne({ _id: sessionId });
}

describe('EpisodeWindowCache', () => {
  test('a second recall with no writes in between is served from memory and recalls the same', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    for (let minute = 0; minute < 6; minute += 1) {
      await cached.record(turn('s-fresh', `fresh/${minute}`, minute, `invoice number ${minute} was paid late`));
    }
    const first = await expectSameRecall(cached, plain, 's-fresh', 'which invoice was paid late', { recentLimit: 2 });
    expect(windows.lastSync.get('s-fresh')).toBe('loaded');
    expect(ids(first.recent)).toEqual(['fresh/4', 'fresh/5']);
    expect(first.relevant).toHaveLength(4);

    const second = await expectSameRecall(cached, plain, 's-fresh', 'which invoice was paid late', { recentLimit: 2 });
    expect(windows.lastSync.get('s-fresh')).toBe('fresh');
    expect(second).toEqual(first);
    expect(windows.syncCounts).toMatchObject({ loaded: 1, fresh: 1, 'caught-up': 0, direct: 0 });
  });

  test('concurrent recalls of one session share one sync', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    await cached.record(turn('s-shared', 'shared/1', 0, 'the shared session'));
    const results = await Promise.all(Array.from({ length: 20 }, () => cached.recall('s-shared', 'shared session')));
    const total = Object.values(windows.syncCounts).reduce((sum, count) => sum + count, 0);
    expect(total).toBe(1);
    const expected = await plain.recall('s-shared', 'shared session');
    for (const result of results) expect(result).toEqual(expected);
  });

  test("another worker's write is caught up by id, and recalled as a store without a cache recalls it", async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    const otherWorker = new EpisodesStore(database.db, { embedder, windows: new EpisodeWindowCache(database.db) });
    for (let minute = 0; minute < 4; minute += 1) {
      await cached.record(turn('s-other', `other/${minute}`, minute, `weather report ${minute}`));
    }
    await expectSameRecall(cached, plain, 's-other', 'weather', { recentLimit: 2 });
    expect(windows.lastSync.get('s-other')).toBe('loaded');

    // A newer episode and one that happened long before the others (an imported turn).
    await otherWorker.record(turn('s-other', 'other/new', 10, 'the parcel to Lisbon was lost'));
    await otherWorker.record(turn('s-other', 'other/old', -100, 'an old note about a parcel to Porto'));
    // A retried write of an id already stored logs it again: harmless.
    expect((await otherWorker.record(turn('s-other', 'other/new', 10, 'retried'))).created).toBe(false);

    const after = await expectSameRecall(cached, plain, 's-other', 'what happened to the parcel', { recentLimit: 2 });
    expect(windows.lastSync.get('s-other')).toBe('caught-up');
    expect(ids(after.recent)).toEqual(['other/3', 'other/new']);
    expect(ids(after.relevant)).toContain('other/old');
    expect(after.recent[1]?.content).toBe('the parcel to Lisbon was lost');
  });

  test('a retention sweep that deletes episodes of the session is seen: they are recalled no more', async () => {
    const config = loadConfig();
    const connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
    try {
      const liveness = new TemporalWorkflowLiveness(new Client({ connection, namespace: config.temporal.namespace }));
      const DAY = 86_400_000;
      const now = new Date();
      const windows = new EpisodeWindowCache(database.db);
      const { cached, plain } = stores(windows);
      const recordedLongAgo = new EpisodesStore(database.db, {
        embedder,
        now: () => new Date(now.getTime() - 40 * DAY),
      });
      for (let minute = 0; minute < 3; minute += 1) {
        await recordedLongAgo.record(
          turn('s-swept', `swept/old-${minute}`, minute, `an old turn about tulips ${minute}`),
        );
        await cached.record(turn('s-swept', `swept/new-${minute}`, minute + 10, `a new turn about roses ${minute}`));
      }
      // A session the sweep empties: its head goes with its episodes.
      await recordedLongAgo.record(turn('s-emptied', 'emptied/old', 0, 'an old turn about daisies'));
      await expectSameRecall(cached, plain, 's-emptied', 'daisies', { recentLimit: 1 });
      expect(await head('s-emptied')).not.toBeNull();
      const before = await expectSameRecall(cached, plain, 's-swept', 'tulips', { recentLimit: 2 });
      expect(ids(before.relevant)).toEqual(expect.arrayContaining(['swept/old-0', 'swept/old-1', 'swept/old-2']));
      const revision = (await head('s-swept'))?.revision;

      const sweep = { cutoff: new Date(now.getTime() - 30 * DAY), now, batchSize: 2 };
      await sweepRetention(database.db, liveness, { ...sweep, dryRun: true });
      expect((await head('s-swept'))?.revision).toBe(revision);
      await expectSameRecall(cached, plain, 's-swept', 'tulips', { recentLimit: 2 });
      expect(windows.lastSync.get('s-swept')).toBe('fresh');

      const swept = await sweepRetention(database.db, liveness, sweep);
      expect(swept.collections.memory_episodes.deleted).toBe(4);
      const after = await expectSameRecall(cached, plain, 's-swept', 'tulips', { recentLimit: 2 });
      // The window held the whole session, so the deletions are applied without a reload.
      expect(windows.lastSync.get('s-swept')).toBe('caught-up');
      expect([...ids(after.recent), ...ids(after.relevant)].sort()).toEqual([
        'swept/new-0',
        'swept/new-1',
        'swept/new-2',
      ]);
      expect(await head('s-emptied')).toBeNull();
      expect(await head('s-swept')).not.toBeNull();
      const emptied = await expectSameRecall(cached, plain, 's-emptied', 'daisies', { recentLimit: 1 });
      expect(windows.lastSync.get('s-emptied')).toBe('direct');
      expect([...ids(emptied.recent), ...ids(emptied.relevant)]).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  test('random writes from two workers, some in the past, interleaved with recalls: always what MongoDB holds', async () => {
    // A seeded generator, so a failure can be replayed.
    let seed = 20260102;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
      return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const topics = ['billing', 'shipping', 'refund', 'login', 'invoice', 'delivery'];
    const windows = new EpisodeWindowCache(database.db);
    // A small relevance window, so windows fill, get trimmed and are reloaded.
    const { cached, plain } = stores(windows, { relevanceWindow: 8 });
    const otherWorker = new EpisodesStore(database.db, { embedder, relevanceWindow: 8 });
    for (let step = 0; step < 80; step += 1) {
      const sessionId = pick(['s-random-a', 's-random-b']);
      if (random() < 0.55) {
        const writer = random() < 0.5 ? cached : otherWorker;
        // Few distinct minutes, so equal times are ordered by id; ids of mixed case.
        const minute = random() < 0.3 ? Math.floor(random() * 10) : 10 + Math.floor(step / 3);
        await writer.record(
          turn(
            sessionId,
            `${pick(['Run', 'run', 'task'])}-${step}`,
            minute,
            `${pick(topics)} question ${step} about ${pick(topics)}`,
            pick(['turn', 'turn', 'task', 'summary'] as const),
          ),
        );
      } else if (random() < 0.8) {
        const options = {
          recentLimit: Math.floor(random() * 5),
          relevantLimit: 1 + Math.floor(random() * 3),
          ...(random() < 0.3 ? { kinds: [pick(['turn', 'task', 'summary'] as const)] } : {}),
        };
        await expectSameRecall(cached, plain, sessionId, `${pick(topics)} ${pick(topics)}`, options);
      } else {
        const options = {
          limit: 1 + Math.floor(random() * 6),
          ...(random() < 0.3 ? { kinds: [pick(['turn', 'task', 'summary'] as const)] } : {}),
        };
        expect(await cached.recent(sessionId, options)).toEqual(await plain.recent(sessionId, options));
      }
    }
    // The sequence exercised every path, not only reloads.
    expect(windows.syncCounts.fresh).toBeGreaterThan(0);
    expect(windows.syncCounts['caught-up']).toBeGreaterThan(0);
    expect(windows.syncCounts.loaded).toBeGreaterThan(0);
  });

  test('a session with episodes but no head document is read from MongoDB each time, until a write creates its head', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    // Stored as a Chassis version without heads stored them.
    const { episodes } = memoryCollections(database.db);
    const legacy: EpisodeDocument[] = [0, 1, 2].map((minute) => ({
      _id: `legacy/${minute}`,
      sessionId: 's-legacy',
      workflowId: null,
      kind: 'turn',
      role: 'user',
      content: `legacy turn ${minute} about gardening`,
      importance: 0.5,
      occurredAt: new Date(at(minute)),
      recordedAt: new Date(),
      tags: [],
    }));
    for (const document of legacy) {
      const [vector] = await embedder.embed([document.content]);
      document.embedding = encodeVector(normalizeInPlace(vector as Float32Array), 'double-array');
      document.embedder = embedder.description;
    }
    await episodes.insertMany(legacy.map((document) => sealEpisode(document)));

    await expectSameRecall(cached, plain, 's-legacy', 'gardening', { recentLimit: 1 });
    expect(windows.lastSync.get('s-legacy')).toBe('direct');
    // Not cached: an episode deleted behind Chassis' back is gone at once.
    await episodes.deleteOne({ _id: 'legacy/2' });
    const direct = await expectSameRecall(cached, plain, 's-legacy', 'gardening', { recentLimit: 1 });
    expect(windows.lastSync.get('s-legacy')).toBe('direct');
    expect(ids(direct.recent)).toEqual(['legacy/1']);

    await cached.record(turn('s-legacy', 'legacy/new', 5, 'a new turn about gardening'));
    const loaded = await expectSameRecall(cached, plain, 's-legacy', 'gardening', { recentLimit: 1 });
    expect(windows.lastSync.get('s-legacy')).toBe('loaded');
    expect(ids(loaded.recent)).toEqual(['legacy/new']);
    expect(ids(loaded.relevant).sort()).toEqual(['legacy/0', 'legacy/1']);
  });

  test('a head deleted and made again at the same revision is another generation: the window is read again', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    await cached.record(turn('s-reborn', 'reborn/first', 0, 'a first turn about ferns'));
    await expectSameRecall(cached, plain, 's-reborn', 'ferns', { recentLimit: 1 });
    const before = await head('s-reborn');
    // As the sweep leaves it after emptying the session; then a new episode makes a new head.
    const { episodes, sessions } = memoryCollections(database.db);
    await episodes.deleteOne({ _id: 'reborn/first' });
    await sessions.deleteOne({ _id: 's-reborn' });
    await new EpisodesStore(database.db, { embedder }).record(turn('s-reborn', 'reborn/second', 1, 'ferns again'));
    const after = await head('s-reborn');
    expect(after?.revision).toBe(before?.revision);
    expect(after?.generation).toEqual(expect.any(String));
    expect(after?.generation).not.toBe(before?.generation);
    const recalled = await expectSameRecall(cached, plain, 's-reborn', 'ferns', { recentLimit: 1 });
    expect(windows.lastSync.get('s-reborn')).toBe('loaded');
    expect(ids(recalled.recent)).toEqual(['reborn/second']);
  });

  test('a window older than maxAgeMs is read again, which bounds how long a change made outside Chassis goes unseen', async () => {
    let clock = Date.UTC(2026, 0, 5);
    const windows = new EpisodeWindowCache(database.db, { maxAgeMs: 60_000, now: () => new Date(clock) });
    const { cached, plain } = stores(windows);
    for (let minute = 0; minute < 3; minute += 1) {
      await cached.record(turn('s-aged', `aged/${minute}`, minute, `a turn about sailing ${minute}`));
    }
    await cached.recall('s-aged', 'sailing');
    expect(windows.lastSync.get('s-aged')).toBe('loaded');
    // Deleted without logging it in the session's head, as a manual delete in mongosh would.
    await memoryCollections(database.db).episodes.deleteOne({ _id: 'aged/2' });

    clock += 30_000;
    const stale = await cached.recall('s-aged', 'sailing', { recentLimit: 3 });
    expect(windows.lastSync.get('s-aged')).toBe('fresh');
    expect(ids(stale.recent)).toContain('aged/2');

    clock += 31_000;
    const reloaded = await expectSameRecall(cached, plain, 's-aged', 'sailing', { recentLimit: 3 });
    expect(windows.lastSync.get('s-aged')).toBe('loaded');
    expect(ids(reloaded.recent)).toEqual(['aged/0', 'aged/1']);
  });

  test('a session longer than the window keeps only its newest episodes, and a deletion from it refills it', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows, { relevanceWindow: 5 });
    for (let minute = 0; minute < 8; minute += 1) {
      await cached.record(
        turn('s-long', `long/${minute}`, minute, minute === 0 ? 'the password is swordfish' : `turn ${minute}`),
      );
    }
    const window = (size: number) => windows.window('s-long', size).then((found) => found.documents.map((d) => d._id));
    const first = await expectSameRecall(cached, plain, 's-long', 'what is the password', { recentLimit: 2 });
    // The oldest episode matches best but is outside the window of the 5 newest.
    expect([...ids(first.recent), ...ids(first.relevant)]).not.toContain('long/0');
    expect(await window(5)).toEqual(['long/7', 'long/6', 'long/5', 'long/4', 'long/3']);
    expect((await windows.window('s-long', 5)).complete).toBe(false);

    // Older than the window: caught up, and left out.
    await cached.record(turn('s-long', 'long/older', 1, 'the password is marlin'));
    await expectSameRecall(cached, plain, 's-long', 'what is the password', { recentLimit: 2 });
    expect(windows.lastSync.get('s-long')).toBe('caught-up');
    expect(await window(5)).toEqual(['long/7', 'long/6', 'long/5', 'long/4', 'long/3']);

    // Newer: it enters and the oldest leaves.
    await cached.record(turn('s-long', 'long/9', 9, 'turn 9'));
    await expectSameRecall(cached, plain, 's-long', 'what is the password', { recentLimit: 2 });
    expect(windows.lastSync.get('s-long')).toBe('caught-up');
    expect(await window(5)).toEqual(['long/9', 'long/7', 'long/6', 'long/5', 'long/4']);

    // A deletion from a window of the newest only: read again, refilled with the next older one.
    await memoryCollections(database.db).episodes.deleteOne({ _id: 'long/6' });
    await logEpisodeChange(database.db, 's-long', { removed: ['long/6'] });
    await expectSameRecall(cached, plain, 's-long', 'what is the password', { recentLimit: 2 });
    expect(windows.lastSync.get('s-long')).toBe('loaded');
    expect(await window(5)).toEqual(['long/9', 'long/7', 'long/5', 'long/4', 'long/3']);

    // A caller asking for a longer window than cached gets it read.
    expect(await window(7)).toEqual(['long/9', 'long/7', 'long/5', 'long/4', 'long/3', 'long/2', 'long/older']);
    expect(windows.lastSync.get('s-long')).toBe('loaded');
  });

  test('the head: one log entry per change, cut back to the last changes; concurrent writes from one process lose none', async () => {
    const windows = new EpisodeWindowCache(database.db);
    const { cached, plain } = stores(windows);
    await cached.record(turn('s-head', 'head/first', 0, 'first'));
    await cached.recall('s-head', 'first');
    // Concurrent writes of one process are logged one update at a time (those that wait go
    // together): FerretDB v1 would lose all but one of concurrent updates of one document.
    const burst = Array.from({ length: 30 }, (_, index) => `head/burst-${index}`);
    await Promise.all(burst.map((id, index) => cached.record(turn('s-head', id, 1 + index, `burst ${index}`))));
    const afterBurst = await head('s-head');
    const logged = (afterBurst?.changes ?? []).flatMap((change) => ('added' in change ? (change.added ?? []) : []));
    expect(new Set(logged)).toEqual(new Set(['head/first', ...burst]));
    await expectSameRecall(cached, plain, 's-head', 'burst', { recentLimit: 40 });
    expect(windows.lastSync.get('s-head')).toBe('caught-up');

    for (let index = 0; index < 2 * MAX_LOGGED_CHANGES; index += 1) {
      await logEpisodeChange(database.db, 's-head', { added: [`head/missing-${index}`] });
    }
    const after = await head('s-head');
    expect(after?.revision).toBe((afterBurst?.revision ?? 0) + 2 * MAX_LOGGED_CHANGES);
    expect(after?.changes.length).toBeGreaterThanOrEqual(MAX_LOGGED_CHANGES);
    expect(after?.changes.length).toBeLessThan(MAX_LOGGED_CHANGES + 32);
    expect(after?.changes.at(-1)).toEqual({ added: [`head/missing-${2 * MAX_LOGGED_CHANGES - 1}`] });
    // Too far behind for the log: read again (the logged ids name no stored episode).
    await expectSameRecall(cached, plain, 's-head', 'burst', { recentLimit: 40 });
    expect(windows.lastSync.get('s-head')).toBe('loaded');
  });
});
