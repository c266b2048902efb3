import { randomUUID } from 'node:crypto';
import type { Db, UpdateFilter } from 'mongodb';
import { isDuplicateKeyError } from '../tools/mongo-support';
import { memoryCollections } from './database';
import type { EpisodeChange, SessionHeadDocument } from './documents';

/** Change-log entries kept per session; a reader further behind reloads the session's window. */
export const MAX_LOGGED_CHANGES = 64;
/** Ids listed per log entry; a larger change is logged as "too many" (readers reload). */
export const MAX_LOGGED_IDS = 32;
/** Where the server ignores `$slice` (FerretDB v1), the log is cut back to MAX_LOGGED_CHANGES once it is this long. */
const TRIM_AT = MAX_LOGGED_CHANGES + 32;

/** Changes to one session waiting for the next write of its head, and the callers waiting on them. */
class PendingChanges {
  readonly changes: Array<{ kind: 'added' | 'removed'; ids: readonly string[] }> = [];
  readonly written: Promise<void>;
  resolve: () => void = () => undefined;
  reject: (error: unknown) => void = () => undefined;

  constructor() {
    this.written = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Log entries: consecutive changes of one kind merged, "too many" past MAX_LOGGED_IDS. */
  entries(): EpisodeChange[] {
    const merged: Array<{ kind: 'added' | 'removed'; ids: Set<string> }> = [];
    for (const change of this.changes) {
      const last = merged.at(-1);
      if (last !== undefined && last.kind === change.kind) for (const id of change.ids) last.ids.add(id);
      else merged.push({ kind: change.kind, ids: new Set(change.ids) });
    }
    return merged.map(({ kind, ids }) => {
      const listed = ids.size <= MAX_LOGGED_IDS ? [...ids] : null;
      return kind === 'added' ? { added: listed } : { removed: listed };
    });
  }
}

/** Per database and session: whether a head write is under way, and what waits for the next one. */
interface Lane {
  writing: boolean;
  waiting?: PendingChanges;
}

const lanes = new WeakMap<Db, Map<string, Lane>>();

/**
 * Logs episodes recorded in (`added`) or deleted from (`removed`) a session in its head
 * document (`memory_sessions`): the revision goes up by one per log entry and the entries
 * are appended, in one update, so a log entry's position tells its revision. Resolves once
 * the change is logged. Call it after the episodes were written or deleted: readers read the
 * revision before the episodes, so whatever a read misses is in the log after it.
 *
 * Changes to one session from this process are written one update at a time, and those that
 * arrive meanwhile go together in the next update. One update at a time matters on FerretDB
 * v1, which applies concurrent updates of one document as read-modify-write and loses all
 * but one of them; it also keeps a burst of writes to one session to a few updates.
 */
export function logEpisodeChange(
  db: Db,
  sessionId: string,
  change: { added: readonly string[] } | { removed: readonly string[] },
): Promise<void> {
  let sessions = lanes.get(db);
  if (sessions === undefined) {
    sessions = new Map();
    lanes.set(db, sessions);
  }
  let lane = sessions.get(sessionId);
  if (lane === undefined) {
    lane = { writing: false };
    sessions.set(sessionId, lane);
  }
  const pending = lane.waiting ?? new PendingChanges();
  lane.waiting = pending;
  pending.changes.push(
    'added' in change ? { kind: 'added', ids: change.added } : { kind: 'removed', ids: change.removed },
  );
  if (!lane.writing) void writeWaiting(db, sessionId, lane, sessions);
  return pending.written;
}

/** Writes what waits, batch after batch, until nothing does; never rejects (each batch's callers get its error). */
async function writeWaiting(db: Db, sessionId: string, lane: Lane, sessions: Map<string, Lane>): Promise<void> {
  lane.writing = true;
  for (let pending = lane.waiting; pending !== undefined; pending = lane.waiting) {
    lane.waiting = undefined;
    try {
      await appendToHead(db, sessionId, pending.entries());
      pending.resolve();
    } catch (error) {
      pending.reject(error);
    }
  }
  lane.writing = false;
  sessions.delete(sessionId);
}

async function appendToHead(db: Db, sessionId: string, entries: EpisodeChange[]): Promise<void> {
  const { sessions } = memoryCollections(db);
  const update: UpdateFilter<SessionHeadDocument> = {
    $inc: { revision: entries.length },
    $push: { changes: { $each: entries, $slice: -MAX_LOGGED_CHANGES } },
    $setOnInsert: { generation: randomUUID() },
  };
  let head: SessionHeadDocument | null;
  try {
    // No projection: FerretDB v1 rejects findAndModify with "fields"; the head is small.
    head = await sessions.findOneAndUpdate({ _id: sessionId }, update, { upsert: true, returnDocument: 'after' });
  } catch (error) {
    // Another process created the head at the same moment: it exists now.
    if (!isDuplicateKeyError(error)) throw error;
    head = await sessions.findOneAndUpdate({ _id: sessionId }, update, { returnDocument: 'after' });
  }
  // FerretDB v1 ignores $slice: cut the log back now and then. Guarded by the revision, so a
  // change appended meanwhile is not cut off with a log that no longer ends at the revision.
  if (head !== null && head.changes.length >= TRIM_AT) {
    await sessions.updateOne(
      { _id: sessionId, revision: head.revision },
      { $set: { changes: head.changes.slice(-MAX_LOGGED_CHANGES) } },
    );
  }
}

/**
 * Deletes the head of a session that has no episodes left (the retention sweep, after it
 * emptied one), so a session's head goes with its episodes. An episode recorded meanwhile
 * either finds the head gone (and makes a new one, of another generation) or loses its head
 * with this delete; a session with episodes and no head is read from MongoDB until its next
 * write, never from a stale window.
 */
export async function dropHeadIfEmpty(db: Db, sessionId: string): Promise<boolean> {
  const { episodes, sessions } = memoryCollections(db);
  if ((await episodes.findOne({ sessionId }, { projection: { _id: 1 } })) !== null) return false;
  return (await sessions.deleteOne({ _id: sessionId })).deletedCount > 0;
}
