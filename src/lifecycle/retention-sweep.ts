import type { Db, Document, Filter } from 'mongodb';
import { PAYLOADS_COLLECTION } from '../codec/claim-check-store';
import {
  RETENTION_COLLECTIONS,
  type RetentionCollection,
  type RetentionCollectionCounts,
  type RetentionSweepResult,
} from '../contracts/retention';
import {
  TASK_EVENT_SOURCES_COLLECTION,
  TASK_EVENT_STREAMS_COLLECTION,
  TASK_EVENTS_COLLECTION,
} from '../events/task-event-log';
import { MemoryCollection } from '../memory/database';
import { dropHeadIfEmpty, logEpisodeChange } from '../memory/session-heads';
import { PROMPT_CACHE_COLLECTION } from '../models/prompt-cache';
import { TOOL_EFFECTS_COLLECTION } from '../tools/effect-ledger';
import { OUTPUT_REF_PREFIX, TOOL_OUTPUTS_COLLECTION } from '../tools/output-store';
import { TOOL_CACHE_COLLECTION } from '../tools/result-cache';
import { withAncestors, type WorkflowLiveness } from './workflow-liveness';

/** Options of {@link sweepRetention}. */
export interface RetentionSweepOptions {
  /** Documents last used before this time are deleted, unless in use. */
  cutoff: Date;
  /** Count what would go, delete nothing. @default false */
  dryRun?: boolean;
  /** The current time, for documents with their own expiry (`expiresAt`). @default `new Date()` */
  now?: Date;
  /** Documents read and decided per round trip. @default 500 */
  batchSize?: number;
  /** Called after every batch (the activity heartbeats here). */
  onProgress?: (progress: { collection: RetentionCollection; counts: RetentionCollectionCounts }) => void;
}

/** Every Chassis document id is a string (content addresses, caller-derived ids). */
type SweptDocument = Document & { _id: string };

/** What keeps a document: nothing but its age, a running workflow, or a workflow's history. */
type Keeper = 'none' | 'running' | 'history';

/** How one collection is swept. */
interface SweepTarget {
  /** Old enough to go (checked again at delete time, so a document used meanwhile stays). */
  candidates: Filter<SweptDocument>;
  /** Only these fields are read. */
  projection: Document;
  keeper: Keeper;
  /** The workflows whose liveness keeps the document. */
  owners?: (document: SweptDocument) => string[];
  /** Ids of documents of a batch kept for another reason than their owners. */
  alsoKept?: (documents: SweptDocument[]) => Promise<Set<string>>;
  /** An extra condition a document must still meet when it is deleted. */
  deletable?: Filter<SweptDocument>;
  /** Called after a batch was deleted (never in a dry run), with the documents it deleted or found gone. */
  afterDelete?: (documents: SweptDocument[]) => Promise<void>;
}

/** Last used before the cutoff: `lastUsedAt` where the store records it, else `createdAt`. */
function lastUsedBefore(cutoff: Date, lastUsedField: string, createdField = 'createdAt'): Filter<SweptDocument> {
  return {
    $or: [
      { [lastUsedField]: { $lt: cutoff } },
      { [lastUsedField]: { $exists: false }, [createdField]: { $lt: cutoff } },
    ],
  };
}

/**
 * The workflow of an effect-ledger entry, from its idempotency key
 * (`<workflowId>/step-<n>/<callId>`, see `tool-calls.ts`); undefined for a key of another shape.
 */
export function workflowOfIdempotencyKey(key: string): string | undefined {
  const match = /^(.+?)\/step-\d+\//.exec(key);
  return match?.[1];
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * The rules, collection by collection. Knowledge (`memory_knowledge`, `memory_namespaces`)
 * is not here on purpose: it is what users imported and the facts agents chose to keep,
 * memory rather than a trace of past work, and it is deleted only by `chassis memory delete`.
 */
function sweepTargets(db: Db, cutoff: Date, now: Date): Record<RetentionCollection, SweepTarget> {
  return {
    // Replay and the UI need a blob as long as any history that refers to it exists.
    [PAYLOADS_COLLECTION]: {
      candidates: lastUsedBefore(cutoff, 'lastUsedAt'),
      projection: { workflowIds: 1 },
      keeper: 'history',
      owners: (document) => stringArray(document.workflowIds),
    },
    [TOOL_OUTPUTS_COLLECTION]: {
      candidates: lastUsedBefore(cutoff, 'lastUsedAt'),
      projection: { workflowIds: 1 },
      keeper: 'running',
      owners: (document) => stringArray(document.workflowIds),
      // A cached result still served points at its full output.
      alsoKept: async (documents) => {
        const references = documents.map((document) => `${OUTPUT_REF_PREFIX}${String(document._id)}`);
        const cached = await db
          .collection(TOOL_CACHE_COLLECTION)
          .find({ outputRef: { $in: references }, expiresAt: { $gt: now } }, { projection: { outputRef: 1 } })
          .toArray();
        return new Set(cached.map((entry) => String(entry.outputRef).slice(OUTPUT_REF_PREFIX.length)));
      },
    },
    [TOOL_CACHE_COLLECTION]: {
      candidates: { $or: [{ expiresAt: { $lte: now } }, { createdAt: { $lt: cutoff } }] },
      projection: { _id: 1 },
      keeper: 'none',
    },
    [PROMPT_CACHE_COLLECTION]: {
      candidates: { createdAt: { $lt: cutoff } },
      projection: { _id: 1 },
      keeper: 'none',
    },
    // An outcome protects a running workflow's retries from repeating a side effect.
    [TOOL_EFFECTS_COLLECTION]: {
      candidates: { $or: [lastUsedBefore(cutoff, 'updatedAt'), { expiresAt: { $lte: now } }] },
      projection: { idempotencyKey: 1, state: 1, leaseExpiresAt: 1 },
      keeper: 'running',
      owners: (document) => {
        const workflowId =
          typeof document.idempotencyKey === 'string' ? workflowOfIdempotencyKey(document.idempotencyKey) : undefined;
        return workflowId === undefined ? [] : [workflowId];
      },
      // A claim whose attempt is still renewing it is never taken away, whatever its key says.
      alsoKept: async (documents) =>
        new Set(
          documents
            .filter((document) => document.state === 'running' && document.leaseExpiresAt > now)
            .map((document) => document._id),
        ),
      deletable: { $or: [{ state: { $ne: 'running' } }, { leaseExpiresAt: { $lte: now } }] },
    },
    [TASK_EVENTS_COLLECTION]: {
      // `at` is an ISO string, which orders as the time it names.
      candidates: { $or: [{ expiresAt: { $lte: now } }, { at: { $lt: cutoff.toISOString() } }] },
      projection: { workflowId: 1 },
      keeper: 'running',
      owners: (document) => (typeof document.workflowId === 'string' ? [document.workflowId] : []),
    },
    [TASK_EVENT_SOURCES_COLLECTION]: {
      candidates: { expiresAt: { $lte: now } },
      projection: { _id: 1 },
      keeper: 'running',
      owners: (document) => [String(document._id)],
    },
    // A stream's head expires with its last event; the marker that all streams have heads never does.
    [TASK_EVENT_STREAMS_COLLECTION]: {
      candidates: { expiresAt: { $lte: now } },
      projection: { _id: 1 },
      keeper: 'running',
      owners: (document) => [String(document._id)],
    },
    // Recorded time, not `occurredAt`: an imported conversation may be about long ago.
    [MemoryCollection.episodes]: {
      candidates: { recordedAt: { $lt: cutoff } },
      projection: { workflowId: 1, sessionId: 1 },
      keeper: 'running',
      owners: (document) => (typeof document.workflowId === 'string' ? [document.workflowId] : []),
      // Each session's head logs the deletion, so workers' cached windows drop the episodes;
      // the head of a session left with no episodes goes too.
      afterDelete: async (documents) => {
        const bySession = new Map<string, string[]>();
        for (const document of documents) {
          if (typeof document.sessionId !== 'string') continue;
          bySession.set(document.sessionId, [...(bySession.get(document.sessionId) ?? []), document._id]);
        }
        await Promise.all(
          [...bySession].map(async ([sessionId, ids]) => {
            await logEpisodeChange(db, sessionId, { removed: ids });
            await dropHeadIfEmpty(db, sessionId);
          }),
        );
      },
    },
  };
}

/** Answers of the liveness check, remembered for one sweep so each workflow is asked about once. */
class LivenessMemo {
  private readonly answers = new Map<string, boolean>();

  constructor(
    private readonly liveness: WorkflowLiveness,
    private readonly keeper: Exclude<Keeper, 'none'>,
  ) {}

  /** The ids among `workflowIds` that keep what they stored. */
  async live(workflowIds: Iterable<string>): Promise<Set<string>> {
    const ids = [...new Set(workflowIds)];
    const unknown = ids.filter((id) => !this.answers.has(id));
    if (unknown.length > 0) {
      const found =
        this.keeper === 'running' ? await this.liveness.running(unknown) : await this.liveness.withHistory(unknown);
      for (const id of unknown) this.answers.set(id, found.has(id));
    }
    return new Set(ids.filter((id) => this.answers.get(id) === true));
  }
}

async function sweepCollection(
  db: Db,
  name: RetentionCollection,
  target: SweepTarget,
  liveness: WorkflowLiveness,
  options: Required<Pick<RetentionSweepOptions, 'dryRun' | 'batchSize'>> & Pick<RetentionSweepOptions, 'onProgress'>,
): Promise<RetentionCollectionCounts> {
  const collection = db.collection<SweptDocument>(name);
  const counts: RetentionCollectionCounts = { deleted: 0, keptInUse: 0 };
  const memo = target.keeper === 'none' ? undefined : new LivenessMemo(liveness, target.keeper);
  // Pages by `_id` (every Chassis id is a string), so deleting while reading skips nothing.
  let after: string | undefined;
  for (;;) {
    const page = after === undefined ? target.candidates : { $and: [target.candidates, { _id: { $gt: after } }] };
    const documents = await collection
      .find(page, { projection: target.projection })
      .sort({ _id: 1 })
      .limit(options.batchSize)
      .toArray();
    if (documents.length === 0) break;
    after = documents.at(-1)?._id;
    const ownersOf = (document: SweptDocument) => (target.owners?.(document) ?? []).flatMap(withAncestors);
    const live = memo === undefined ? new Set<string>() : await memo.live(documents.flatMap(ownersOf));
    const alsoKept = (await target.alsoKept?.(documents)) ?? new Set<string>();
    const doomedDocuments = documents.filter(
      (document) => !alsoKept.has(document._id) && !ownersOf(document).some((id) => live.has(id)),
    );
    const doomed = doomedDocuments.map((document) => document._id);
    counts.keptInUse += documents.length - doomed.length;
    if (doomed.length > 0) {
      const stillDoomed = {
        $and: [
          target.candidates,
          ...(target.deletable === undefined ? [] : [target.deletable]),
          { _id: { $in: doomed } },
        ],
      };
      if (options.dryRun) counts.deleted += await collection.countDocuments(stillDoomed);
      else {
        counts.deleted += (await collection.deleteMany(stillDoomed)).deletedCount;
        await target.afterDelete?.(doomedDocuments);
      }
    }
    options.onProgress?.({ collection: name, counts: { ...counts } });
    if (documents.length < options.batchSize) break;
  }
  return counts;
}

/**
 * Deletes what Chassis stored for past work and no longer needs: documents last used before
 * `cutoff` in each of {@link RETENTION_COLLECTIONS}, except those a workflow that is still
 * running refers to (directly or through a child it started), and claim-checked payloads
 * any history still refers to (replay and the UI read them). Idempotent: a second sweep
 * finds nothing more to delete.
 *
 * @param liveness asked, in batches, which of the workflows named by old documents still need them
 */
export async function sweepRetention(
  db: Db,
  liveness: WorkflowLiveness,
  options: RetentionSweepOptions,
): Promise<RetentionSweepResult> {
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const targets = sweepTargets(db, options.cutoff, now);
  const collections = {} as Record<RetentionCollection, RetentionCollectionCounts>;
  for (const name of RETENTION_COLLECTIONS) {
    collections[name] = await sweepCollection(db, name, targets[name], liveness, {
      dryRun,
      batchSize: options.batchSize ?? 500,
      onProgress: options.onProgress,
    });
  }
  return { cutoff: options.cutoff.toISOString(), dryRun, collections };
}
