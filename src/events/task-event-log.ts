import type { Binary, Collection, Db } from 'mongodb';
import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import { taskStreamIdOf, type PublishedTaskEvent, type TaskEventInput } from '../contracts/task-events';
import { DEFAULT_EVENT_RETENTION_HOURS } from '../config/event-settings';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/** Collection of the events, one document per event. */
export const TASK_EVENTS_COLLECTION = 'task_events';
/** Collection of the workflows that have announced themselves in a stream (for `subtask started`). */
export const TASK_EVENT_SOURCES_COLLECTION = 'task_event_sources';
/** Collection of each stream's last written sequence, so a writer new to a stream finds its place by `_id`. */
export const TASK_EVENT_STREAMS_COLLECTION = 'task_event_streams';

interface StoredEnvelope {
  _id: string;
  streamId: string;
  sequence: number;
  workflowId: string;
  at: string;
  expiresAt: Date;
}

/**
 * An event as stored: as it is, or with encryption on only its envelope in the clear and the
 * event itself (tokens, tool arguments and outputs, answers) sealed in `sealed`.
 */
type StoredEvent = StoredEnvelope & (Omit<PublishedTaskEvent, keyof StoredEnvelope> | { sealed: Binary });

/** Where a stream stands: at least its last sequence (a lost update leaves it behind, never ahead). */
interface StreamHead {
  /** The stream id; or {@link HEADS_COMPLETE} for the marker. */
  _id: string;
  last?: number;
  expiresAt?: Date;
}

/**
 * The marker written once every stream that had events had a head: from then on a stream
 * without one is new. Never expires (it has no `expiresAt`); no `last`, so it is never read as a head.
 */
const HEADS_COMPLETE = 'chassis:heads-complete';

/** Rounds in which a writer that lost a race moves on from what it knows before it reads the stream itself. */
const PROBE_ROUNDS = 5;

interface SourceDocument {
  /** The workflow id. */
  _id: string;
  streamId: string;
  expiresAt: Date;
}

/** Options of {@link TaskEventLog}. */
export interface TaskEventLogOptions {
  /** How long an event is kept after it was published. @default 24 hours */
  retentionMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** After a failed write, publishing is skipped this long, so a down database costs one timeout, not one per call. @default 30 s */
  pauseAfterFailureMs?: number;
  /** Expired events are swept at most this often per process (when a new stream starts). @default 10 minutes */
  sweepIntervalMs?: number;
  /** Seals each event with the payload keys (`CHASSIS_PAYLOAD_KEY`); readers need the same keys. @default plain */
  fields?: FieldEncryption;
}

/** Publishing was skipped: the log failed recently. */
export class EventLogPausedError extends ChassisError {
  override readonly name = 'EventLogPausedError';
}

/** True for an {@link EventLogPausedError} from any copy of this module. */
export const isEventLogPausedError = markErrorClass(EventLogPausedError, 'EventLogPausedError');

/** Streams whose last written sequence a process remembers; forgetting costs one read. */
const MAX_REMEMBERED_STREAMS = 10_000;

/** Rounds of "another writer took these sequences" before an append gives up. */
const MAX_APPEND_ROUNDS = 50;

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

/**
 * The per-task event log in MongoDB: append-only, ordered by a sequence per stream (a task
 * and its subtasks share one; see `taskStreamIdOf`). Sequences are claimed by the inserts
 * themselves: an event's `_id` is `<stream>#<sequence>`, a writer inserts its batch in
 * order after the last sequence it sees, and a duplicate key means another writer got there
 * first, so it carries on after that writer's events. Every inserted sequence therefore
 * follows one that exists: readers never see a gap, and a writer that dies leaves none.
 * (No counter with `$inc`: FerretDB's read-modify-write is not atomic under concurrency,
 * while its unique `_id` is.) Events expire `retentionMs` after they were published: a TTL
 * index where the server has them, and a sweep from the writers where it does not.
 *
 * A writer new to a stream (its first append in this process) starts after the stream's head
 * (`task_event_streams`, read by `_id`), which each append moves forward; a stream with no
 * head is new. Why not read the stream's last event: on FerretDB only `_id` lookups are
 * indexed, and that sorted query decoded the whole collection — 19 ms at 200 stored events,
 * 99 ms at 1,000, once per task per worker. A head that is behind (an update lost to a crash,
 * or a writer of an older version) only costs a duplicate key and another round.
 */
export class TaskEventLog {
  readonly retentionMs: number;
  private readonly events: Collection<StoredEvent>;
  private readonly sources: Collection<SourceDocument>;
  private readonly heads: Collection<StreamHead>;
  /** Resolves true once every stream with events has a head (see {@link headsComplete}). */
  private complete: Promise<boolean> | undefined;
  private readonly now: () => Date;
  private readonly pauseAfterFailureMs: number;
  private readonly sweepIntervalMs: number;
  private readonly fields: FieldEncryption;
  private indexes: Promise<void> | undefined;
  private pausedUntil = 0;
  private lastSweep = 0;
  /**
   * The last sequence this process wrote per stream: the next append tries after it without
   * reading first. Never ahead of the stream (only expiry deletes), so at worst a duplicate
   * key sends the writer to read the real last sequence.
   */
  private readonly lastWritten = new Map<string, number>();
  /** Head updates under way (see {@link moveHead}). */
  private readonly headWrites = new Set<Promise<void>>();

  constructor(db: Db, options: TaskEventLogOptions = {}) {
    this.events = db.collection<StoredEvent>(TASK_EVENTS_COLLECTION);
    this.sources = db.collection<SourceDocument>(TASK_EVENT_SOURCES_COLLECTION);
    this.heads = db.collection<StreamHead>(TASK_EVENT_STREAMS_COLLECTION);
    this.retentionMs = options.retentionMs ?? DEFAULT_EVENT_RETENTION_HOURS * 3_600_000;
    this.now = options.now ?? (() => new Date());
    this.pauseAfterFailureMs = options.pauseAfterFailureMs ?? 30_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10 * 60_000;
    this.fields = options.fields ?? PLAIN_FIELDS;
  }

  /**
   * Appends events of `workflowId` to its task's stream, in order (other writers' events may
   * come between them), and returns them as stored.
   *
   * @throws {EventLogPausedError} without touching the database while a recent failure pauses publishing
   * @throws the database's error (and pauses publishing) when the write fails
   */
  async append(workflowId: string, events: readonly TaskEventInput[]): Promise<PublishedTaskEvent[]> {
    if (events.length === 0) return [];
    const streamId = taskStreamIdOf(workflowId);
    return this.guarded(async () => {
      await this.ensureIndexes();
      const now = this.now();
      const expiresAt = new Date(now.getTime() + this.retentionMs);
      const written: PublishedTaskEvent[] = [];
      let pending = [...events];
      let next = this.lastWritten.get(streamId);
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_APPEND_ROUNDS) {
          throw new Error(`too many writers at once on stream ${streamId}: gave up after ${round} rounds`);
        }
        const first = next === undefined ? await this.nextSequence(streamId) : next + 1;
        if (first === 1) await this.sweepExpired(now);
        const batch: PublishedTaskEvent[] = pending.map(
          (event, index) =>
            ({ ...event, sequence: first + index, workflowId, at: now.toISOString() }) as PublishedTaskEvent,
        );
        const stored = batch.map((event) => this.stored(event, streamId, expiresAt));
        try {
          await this.events.insertMany(stored, { ordered: true });
          written.push(...batch);
          pending = [];
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // An ordered insert stops at the first taken sequence: what went before it is in.
          const inserted = (error as { result?: { insertedCount?: number } }).result?.insertedCount ?? 0;
          written.push(...batch.slice(0, inserted));
          pending = pending.slice(inserted);
          const taken = first + inserted;
          // Past the taken sequence, or further if the head says so; after a few rounds, from the stream itself.
          next =
            round + 1 < PROBE_ROUNDS
              ? Math.max(taken, (await this.headOf(streamId)) ?? 0)
              : await this.lastSequence(streamId);
        }
      }
      const last = written.at(-1)?.sequence;
      if (last !== undefined) this.moveHead(streamId, last, expiresAt);
      if (this.lastWritten.size >= MAX_REMEMBERED_STREAMS) this.lastWritten.clear();
      this.lastWritten.set(streamId, last ?? 0);
      return written;
    });
  }

  /**
   * Records that `workflowId` publishes in its stream; true only the first time, for the
   * one writer that should announce it.
   */
  async announce(workflowId: string): Promise<boolean> {
    return this.guarded(async () => {
      try {
        await this.sources.insertOne({
          _id: workflowId,
          streamId: taskStreamIdOf(workflowId),
          expiresAt: new Date(this.now().getTime() + this.retentionMs),
        });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  /** Events of the stream after `afterSequence`, in order, at most `limit`. */
  async readAfter(streamId: string, afterSequence: number, limit = 500): Promise<PublishedTaskEvent[]> {
    const documents = await this.events
      .find({ streamId, sequence: { $gt: afterSequence } })
      .sort({ sequence: 1 })
      .limit(limit)
      .toArray();
    const now = this.now().getTime();
    return documents
      .filter((document) => document.expiresAt.getTime() > now)
      .map((document) => this.published(document));
  }

  /** The last sequence of the stream (0 when it has none): a reader starting now reads after it. */
  async lastSequence(streamId: string): Promise<number> {
    const [last] = await this.events
      .find({ streamId }, { projection: { sequence: 1 } })
      .sort({ sequence: -1 })
      .limit(1)
      .toArray();
    return last?.sequence ?? 0;
  }

  /** Deletes expired events, announcements and stream heads; returns how many events went. */
  async sweep(): Promise<number> {
    const now = this.now();
    this.lastSweep = now.getTime();
    const events = await this.events.deleteMany({ expiresAt: { $lte: now } });
    await this.sources.deleteMany({ expiresAt: { $lte: now } });
    // A head expires with its stream's last event ($max below), so it never goes before its events.
    await this.heads.deleteMany({ expiresAt: { $lte: now } });
    return events.deletedCount;
  }

  /** The sequence a writer new to the stream tries first: after its head, 1 for a new stream. */
  private async nextSequence(streamId: string): Promise<number> {
    // First, so heads given to older streams just now are seen (later it is a settled promise).
    const complete = await this.headsComplete();
    const head = await this.headOf(streamId);
    if (head !== undefined) return head + 1;
    return complete ? 1 : (await this.lastSequence(streamId)) + 1;
  }

  /** The last sequence the stream's head records, or undefined when it has none. */
  private async headOf(streamId: string): Promise<number | undefined> {
    const head = await this.heads.findOne({ _id: streamId });
    return typeof head?.last === 'number' ? head.last : undefined;
  }

  /**
   * Moves the stream's head to `last` (never back) and its expiry with the stream's newest
   * event, off the append's path: this process goes on from what it remembers, and a head
   * left behind (not written yet, or a failed write) costs the next writer new to the stream
   * a duplicate key and a round, never an event.
   */
  private moveHead(streamId: string, last: number, expiresAt: Date): void {
    const write = this.heads.updateOne({ _id: streamId }, { $max: { last, expiresAt } }, { upsert: true }).then(
      () => undefined,
      () => undefined,
    );
    this.headWrites.add(write);
    void write.finally(() => this.headWrites.delete(write));
  }

  /** Resolves when the stream heads written so far are stored (before a shutdown closes the client, and in tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.headWrites]);
  }

  /**
   * True once every stream that has events has a head. Events written before heads existed
   * get theirs here, once per database (one pass over the collection, then the marker), so a
   * stream without a head can be taken for new. False (and retried later) when that fails.
   */
  private headsComplete(): Promise<boolean> {
    this.complete ??= (async () => {
      if ((await this.heads.findOne({ _id: HEADS_COMPLETE })) !== null) return true;
      const heads = new Map<string, { last: number; expiresAt: Date }>();
      const cursor = this.events.find({}, { projection: { streamId: 1, sequence: 1, expiresAt: 1 } });
      for await (const event of cursor) {
        const head = heads.get(event.streamId);
        if (head === undefined) heads.set(event.streamId, { last: event.sequence, expiresAt: event.expiresAt });
        else {
          head.last = Math.max(head.last, event.sequence);
          if (event.expiresAt > head.expiresAt) head.expiresAt = event.expiresAt;
        }
      }
      const updates = [...heads].map(([streamId, head]) => ({
        updateOne: { filter: { _id: streamId }, update: { $max: head }, upsert: true },
      }));
      for (let start = 0; start < updates.length; start += 500) {
        await this.heads.bulkWrite(updates.slice(start, start + 500), { ordered: false });
      }
      await this.heads.insertOne({ _id: HEADS_COMPLETE }).catch((error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
      });
      return true;
    })().catch(() => {
      this.complete = undefined;
      return false;
    });
    return this.complete;
  }

  /** Creates the indexes once per process: sequence order per stream, and expiry where the server has TTL indexes. */
  ensureIndexes(): Promise<void> {
    this.indexes ??= (async () => {
      // Keys, index options, command options (none): the driver deprecates mixing the two kinds.
      await this.events.createIndex({ streamId: 1, sequence: 1 }, { unique: true }, {});
      await this.events.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }, {}).catch(() => undefined);
      await this.sources.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }, {}).catch(() => undefined);
      await this.heads.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }, {}).catch(() => undefined);
    })().catch((error: unknown) => {
      this.indexes = undefined;
      throw error;
    });
    return this.indexes;
  }

  /** A new stream is the writers' moment to sweep; once per interval per process, and never in the way. */
  private async sweepExpired(now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < this.sweepIntervalMs) return;
    await this.sweep().catch(() => undefined);
  }

  private async guarded<T>(write: () => Promise<T>): Promise<T> {
    if (Date.now() < this.pausedUntil) {
      throw new EventLogPausedError('task events are not being published: the event log failed moments ago');
    }
    try {
      return await write();
    } catch (error) {
      this.pausedUntil = Date.now() + this.pauseAfterFailureMs;
      throw error;
    }
  }

  private stored(event: PublishedTaskEvent, streamId: string, expiresAt: Date): StoredEvent {
    const _id = `${streamId}#${event.sequence}`;
    const envelope = { _id, streamId, sequence: event.sequence, workflowId: event.workflowId, at: event.at, expiresAt };
    if (!this.fields.encrypts) return { ...event, ...envelope };
    return { ...envelope, sealed: this.fields.sealJson(event, eventContext(_id)) as Binary };
  }

  /** @throws {PayloadCodecError} when the event is sealed with a key this process lacks */
  private published(document: StoredEvent): PublishedTaskEvent {
    if ('sealed' in document)
      return this.fields.openJson<PublishedTaskEvent>(document.sealed, eventContext(document._id));
    const { _id, streamId, expiresAt, ...event } = document;
    void _id;
    void streamId;
    void expiresAt;
    return event as PublishedTaskEvent;
  }
}

/** The authenticated context of a sealed event: it opens only as the event it was written as. */
function eventContext(id: string): string {
  return `${TASK_EVENTS_COLLECTION}/${id}/event`;
}
