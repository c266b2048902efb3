import type { Db } from 'mongodb';
import { memoryCollections } from './database';
import type { SessionHeadDocument, StoredEpisodeDocument } from './documents';
import { inLane, type Lanes } from './one-at-a-time';
import { MAX_LOGGED_IDS } from './session-heads';

/** Options of {@link EpisodeWindowCache}. */
export interface EpisodeWindowCacheOptions {
  /** Sessions kept in memory; the least recently used is dropped beyond it. @default 256 */
  maxSessions?: number;
  /**
   * Episodes kept in memory over all sessions (about 1.5 kB each with a 384-dimension
   * embedding); least recently used sessions are dropped beyond it. @default 100000
   */
  maxEpisodes?: number;
  /**
   * A cached window older than this is read again even when its revision did not move. It
   * bounds how long a change made outside Chassis (which does not log it in the session's
   * head, e.g. a delete in mongosh) stays unseen. @default 300000 (5 minutes)
   */
  maxAgeMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * What a sync did, for tests and benchmarks: `fresh` (the head's revision had not moved),
 * `caught-up` (the change log named what to fetch and drop), `loaded` (the window was read
 * again), `direct` (the session has no head document: read from MongoDB, not cached).
 */
export type EpisodeWindowSync = 'fresh' | 'caught-up' | 'loaded' | 'direct';

/** A session's most recent episodes, newest first. Shared: never mutate it or its documents. */
export interface EpisodeWindow {
  /** Newest first (`occurredAt` descending, then `_id` descending), as stored (sealed, with embeddings). */
  documents: readonly StoredEpisodeDocument[];
  /** Whether `documents` holds every episode of the session. */
  complete: boolean;
}

/** One session in memory. */
interface CachedWindow extends EpisodeWindow {
  /** The head's revision the documents reflect. */
  revision: number;
  /** The head's generation (a head deleted and made again starts its revisions over). */
  generation: string | undefined;
  /** Most documents kept; a complete window that outgrows it is trimmed and no longer complete. */
  size: number;
  /** When the documents were last read from MongoDB as a whole (epoch ms). */
  loadedAt: number;
}

/** Most ids a catch-up fetches; more makes it a reload. */
const MAX_FETCHED = MAX_LOGGED_IDS;
/** Episodes fetched by id at once during a catch-up. */
const FETCH_CONCURRENCY = 4;

/** The order of a window: `occurredAt` descending, then `_id` descending by bytes, as MongoDB sorts strings. */
function newestFirst(left: StoredEpisodeDocument, right: StoredEpisodeDocument): number {
  const byTime = right.occurredAt.getTime() - left.occurredAt.getTime();
  if (byTime !== 0) return byTime;
  if (left._id === right._id) return 0;
  return Buffer.compare(Buffer.from(right._id, 'utf8'), Buffer.from(left._id, 'utf8'));
}

/** Inserts a document in a newest-first array, in place. */
function insertInOrder(documents: StoredEpisodeDocument[], document: StoredEpisodeDocument): void {
  let low = 0;
  let high = documents.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (newestFirst(documents[middle] as StoredEpisodeDocument, document) <= 0) low = middle + 1;
    else high = middle;
  }
  documents.splice(low, 0, document);
}

/** A planned sync of one session: callers that arrive before it starts share it. */
interface PlannedSync {
  size: number;
  result?: Promise<EpisodeWindow>;
}

/**
 * Each worker's copies of the recent episodes of the sessions it recalls, kept in step with
 * MongoDB through each session's head document (`memory_sessions`).
 *
 * Why: every agent task recalls its session, and a recall ranks the session's relevance
 * window (up to 2000 most recent episodes, with their embeddings). Reading it from MongoDB
 * each time is what limits throughput first: on FerretDB v1 only an `_id` equality filter is
 * pushed down, so the `{sessionId}` query decodes the whole `memory_episodes` collection
 * (about 120 µs per stored episode: 130–250 ms per recall at 1000 episodes, growing with the
 * collection), while a `findOne` by `_id` takes 1–8 ms; on MongoDB the `session_recent`
 * index serves the query, but each recall still transfers up to 2000 documents with
 * embeddings (about 3 MB). So a worker reads a session's window once and, before each later
 * use, only the session's head by `_id`: when its revision has not moved the window is used
 * as it is; when it has, the head's change log names the episodes recorded and deleted
 * since, and those recorded are fetched one by one by `_id` (not with `$in`, which FerretDB
 * answers with a scan). The window is read again on first use, when the log does not reach
 * back far enough or names many episodes, when a deletion leaves a window that did not hold
 * the whole session short, when a caller needs a longer window, and after `maxAgeMs`.
 *
 * Writers log every change in the head (`logEpisodeChange`): `EpisodesStore.record` and the
 * retention sweep. A change made by other means (a delete in mongosh, an insert by a script)
 * is seen at the next reload, at most `maxAgeMs` later. On FerretDB v1, concurrent updates
 * of one head from several processes can lose log entries (it applies them as
 * read-modify-write); such a change too is seen at the next reload. A session without a head
 * (its episodes were recorded before heads existed, or it has none) is read from MongoDB
 * every time, as before, until a write creates its head.
 */
export class EpisodeWindowCache {
  private readonly windows = new Map<string, CachedWindow>();
  private readonly planned = new Map<string, PlannedSync>();
  private readonly running: Lanes = new Map();
  private readonly maxSessions: number;
  private readonly maxEpisodes: number;
  private readonly maxAgeMs: number;
  private readonly now: () => Date;
  private cachedEpisodes = 0;
  /** What the last sync of each recently used session did (tests and benchmarks read it). */
  readonly lastSync = new Map<string, EpisodeWindowSync>();
  /** How many syncs did what, since the cache was made (benchmarks read it). */
  readonly syncCounts: Record<EpisodeWindowSync, number> = { fresh: 0, 'caught-up': 0, loaded: 0, direct: 0 };

  constructor(
    private readonly db: Db,
    options: EpisodeWindowCacheOptions = {},
  ) {
    this.maxSessions = options.maxSessions ?? 256;
    this.maxEpisodes = options.maxEpisodes ?? 100_000;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * The session's `size` most recent episodes, newest first, brought up to date with MongoDB.
   * Calls for one session made while a sync of it runs share the next sync (one round trip
   * for all of them), which starts after they were made, so a caller sees every change logged
   * before its call.
   */
  async window(sessionId: string, size: number): Promise<EpisodeWindow> {
    let plan = this.planned.get(sessionId);
    if (plan === undefined) {
      const created: PlannedSync = { size };
      // After the session's sync under way: calls made meanwhile join this one until it starts.
      created.result = inLane(this.running, sessionId, () => {
        if (this.planned.get(sessionId) === created) this.planned.delete(sessionId);
        return this.sync(sessionId, created.size);
      });
      this.planned.set(sessionId, created);
      plan = created;
    } else {
      plan.size = Math.max(plan.size, size);
    }
    const window = await (plan.result as Promise<EpisodeWindow>);
    if (window.documents.length <= size) return window;
    return { documents: window.documents.slice(0, size), complete: false };
  }

  /** Forgets a session; its next use reads it again. */
  invalidate(sessionId: string): void {
    this.forget(sessionId);
  }

  private async sync(sessionId: string, size: number): Promise<EpisodeWindow> {
    const { sessions } = memoryCollections(this.db);
    // Read before the episodes: what a load below misses is logged after this revision.
    const head = await sessions.findOne({ _id: sessionId });
    if (head === null) {
      this.forget(sessionId);
      this.record(sessionId, 'direct');
      return this.read(sessionId, size);
    }
    const cached = this.windows.get(sessionId);
    const now = this.now().getTime();
    if (
      cached !== undefined &&
      now - cached.loadedAt < this.maxAgeMs &&
      (cached.complete || cached.size >= size) &&
      cached.generation === head.generation &&
      cached.revision <= head.revision
    ) {
      if (cached.revision === head.revision) {
        this.keep(sessionId, cached);
        this.record(sessionId, 'fresh');
        return cached;
      }
      const caughtUp = await this.catchUp(sessionId, cached, head);
      if (caughtUp !== undefined) {
        this.keep(sessionId, caughtUp);
        this.record(sessionId, 'caught-up');
        return caughtUp;
      }
    }
    const loadSize = Math.max(size, cached?.size ?? 0);
    const documents = await this.read(sessionId, loadSize);
    const loaded: CachedWindow = {
      ...documents,
      revision: head.revision,
      generation: head.generation,
      size: loadSize,
      loadedAt: now,
    };
    this.keep(sessionId, loaded);
    this.record(sessionId, 'loaded');
    return loaded;
  }

  /**
   * The window after the logged changes since the cached revision, as a new window (the
   * cached one may be in use); undefined when only a reload can tell.
   */
  private async catchUp(
    sessionId: string,
    cached: CachedWindow,
    head: SessionHeadDocument,
  ): Promise<CachedWindow | undefined> {
    const firstLogged = head.revision - head.changes.length + 1;
    if (cached.revision + 1 < firstLogged) return undefined;
    const added = new Set<string>();
    // Ids deleted at some point since: the cached copy goes, and a later `added` fetches it again.
    const removed = new Set<string>();
    for (const change of head.changes.slice(cached.revision + 1 - firstLogged)) {
      if ('added' in change) {
        if (change.added === null) return undefined;
        for (const id of change.added) added.add(id);
      } else {
        if (change.removed === null) return undefined;
        for (const id of change.removed) {
          added.delete(id);
          removed.add(id);
        }
      }
    }
    const documents = cached.documents.filter((document) => !removed.has(document._id));
    // A window of the newest episodes only would have to be refilled from older ones.
    if (documents.length < cached.documents.length && !cached.complete) return undefined;
    const present = new Set(documents.map((document) => document._id));
    const missing = [...added].filter((id) => !present.has(id));
    if (missing.length > MAX_FETCHED) return undefined;
    for (const document of await this.fetch(missing)) {
      if (document.sessionId === sessionId) insertInOrder(documents, document);
    }
    const trimmed = documents.length > cached.size;
    return {
      documents: trimmed ? documents.slice(0, cached.size) : documents,
      complete: cached.complete && !trimmed,
      revision: head.revision,
      generation: cached.generation,
      size: cached.size,
      loadedAt: cached.loadedAt,
    };
  }

  /** Episodes by id, each with its own `_id` equality query (FerretDB scans for `$in`); absent ones left out. */
  private async fetch(ids: readonly string[]): Promise<StoredEpisodeDocument[]> {
    const { episodes } = memoryCollections(this.db);
    const found: StoredEpisodeDocument[] = [];
    for (let start = 0; start < ids.length; start += FETCH_CONCURRENCY) {
      const batch = ids.slice(start, start + FETCH_CONCURRENCY);
      for (const document of await Promise.all(batch.map((id) => episodes.findOne({ _id: id })))) {
        if (document !== null) found.push(document);
      }
    }
    return found;
  }

  /** The session's `size` most recent episodes straight from MongoDB. */
  private async read(sessionId: string, size: number): Promise<EpisodeWindow> {
    const { episodes } = memoryCollections(this.db);
    const documents = await episodes.find({ sessionId }).sort({ occurredAt: -1, _id: -1 }).limit(size).toArray();
    return { documents, complete: documents.length < size };
  }

  /** Stores a session's window as the most recently used; drops the least recently used beyond the limits. */
  private keep(sessionId: string, window: CachedWindow): void {
    this.forget(sessionId);
    this.windows.set(sessionId, window);
    this.cachedEpisodes += window.documents.length;
    for (const oldest of this.windows.keys()) {
      if (this.windows.size <= this.maxSessions && this.cachedEpisodes <= this.maxEpisodes) break;
      if (oldest === sessionId) break;
      this.forget(oldest);
    }
  }

  private forget(sessionId: string): void {
    const window = this.windows.get(sessionId);
    if (window === undefined) return;
    this.windows.delete(sessionId);
    this.cachedEpisodes -= window.documents.length;
  }

  private record(sessionId: string, outcome: EpisodeWindowSync): void {
    this.syncCounts[outcome] += 1;
    this.lastSync.delete(sessionId);
    this.lastSync.set(sessionId, outcome);
    // Bounded like the windows: sessions read directly are never cached but are recorded here.
    for (const oldest of this.lastSync.keys()) {
      if (this.lastSync.size <= this.maxSessions) break;
      this.lastSync.delete(oldest);
    }
  }
}
