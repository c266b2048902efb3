import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { ToolCallResult } from '../contracts/activities';
import {
  isInfrastructureUnavailableError,
  pause,
  retryWhileInfrastructureDown,
  unavailableSystemOf,
  type InfrastructureWait,
} from '../resilience/infrastructure-retry';
import { PLAIN_FIELDS, type FieldEncryption, type Stored } from '../codec/field-encryption';
import { canonicalJson, sha256 } from './canonical-key';
import { ensureExpiryIndex, isDuplicateKeyError, type ExpiryMode } from './mongo-support';
import { isOpenOutcomeError, isTransientToolError, OpenOutcomeError } from './tool-errors';

/** Collection of recorded outcomes of calls with side effects. */
export const TOOL_EFFECTS_COLLECTION = 'tool_effects';

/**
 * State of a call with side effects: `running` while an attempt holds the claim, `done`
 * with its outcome, `unknown` when an attempt died midway and nobody can tell whether the
 * effect happened (the recorded outcome is then the `Tool.OutcomeUnknown` observation).
 */
export type ToolEffectState = 'running' | 'done' | 'unknown';

/** How a recorded outcome came about. */
export type ToolEffectResolution =
  /** The attempt that claimed the call ran it. */
  | 'ran'
  /** A dead attempt's claim: the tool's `checkOutcome` said it had taken effect. */
  | 'checked-applied'
  /** A dead attempt's claim: `checkOutcome` said it had not, so it ran. */
  | 'checked-not-applied'
  /** A dead attempt's claim: the system deduplicates by idempotency key, so it ran again. */
  | 're-ran'
  /** A dead attempt's claim that nobody could resolve. */
  | 'unknown';

/** One call with side effects: claimed while it runs, then its outcome. */
export interface ToolEffectRecord {
  /** Hash of idempotency key, tool and arguments (see {@link effectId}). */
  _id: string;
  idempotencyKey: string;
  tool: string;
  state: ToolEffectState;
  /** Which attempt holds the claim. */
  owner: string;
  /** A running claim whose lease passed belongs to a stopped attempt and is resolved by the next one. */
  leaseExpiresAt: Date;
  /** Set when this owner took the claim over from a stopped attempt (so a retried takeover is still resolved). */
  takenOverFrom?: string;
  /** Sealed when payload encryption is on (see {@link ToolEffectLedger.find} for it in clear). */
  outcome?: Stored<ToolCallResult & Record<string, unknown>>;
  resolution?: ToolEffectResolution;
  createdAt: Date;
  updatedAt?: Date;
  expiresAt: Date;
}

/** Options of {@link ToolEffectLedger}. */
export interface ToolEffectLedgerOptions {
  /**
   * How long a running claim stays valid without renewal; renewed every third of it while
   * the call runs, so only a stopped attempt's claim lapses. Short, so the next attempt
   * after a worker crash resolves the claim within seconds. A call may set its own
   * ({@link LedgerWaits.leaseMs}). @default 10_000
   */
  leaseMs?: number;
  /**
   * How long an attempt waits for another attempt's live claim (one still renewing it) to
   * finish before giving up with a transient error. @default 2 leases
   */
  liveClaimWaitMs?: number;
  /** How long outcomes are kept (retries of a call happen within its workflow's life). @default 7 days */
  retentionMs?: number;
  /** @default `() => new Date()` */
  now?: () => Date;
  /** Encrypts outcomes at rest with the payload keys. @default plain */
  fields?: FieldEncryption;
}

/** How one attempt waits for MongoDB and reports that it is alive. */
export interface LedgerWaits {
  /** This attempt's whole outage budget. */
  budgetMs: number;
  /** What is left of it. */
  remainingBudgetMs(): number;
  heartbeat?: (details?: unknown) => void;
  signal?: AbortSignal;
  /** Told about each pause while MongoDB is down. */
  onWait?: (wait: InfrastructureWait) => void;
  /** Where "recorded late / not recorded" warnings go. */
  warn: (message: string) => void;
  /**
   * How long this call waits for another attempt's live claim: at least the ledger's
   * `liveClaimWaitMs`; the tool's own timeout plus two leases, so an attempt that is still
   * running (one the server gave up on during a restart) can finish. @default the ledger's
   */
  liveClaimWaitMs?: number;
  /**
   * This call's lease. The tool runner uses the activity's heartbeat timeout: the engine
   * starts the next attempt only after that long without a heartbeat, so a longer lease
   * would only make that attempt wait for a claim whose owner is already dead.
   * @default the ledger's `leaseMs`
   */
  leaseMs?: number;
}

/** Runs `run`, retrying while MongoDB is down, within what is left of this attempt's outage budget. */
export function whileDown<R>(waits: LedgerWaits, operation: string, run: () => Promise<R>): Promise<R> {
  return retryWhileInfrastructureDown(run, {
    budgetMs: waits.remainingBudgetMs(),
    operation,
    heartbeat: waits.heartbeat,
    signal: waits.signal,
    onWait: waits.onWait,
  });
}

/** What to do with a claim left `running` by a stopped attempt. */
export type LapsedClaimDecision<T> =
  | { action: 'record'; state: 'done' | 'unknown'; result: T; resolution: ToolEffectResolution }
  | { action: 'run'; resolution: ToolEffectResolution };

/** What {@link ToolEffectLedger.once} needs from the caller. */
export interface EffectHandlers<T> {
  /** Runs the call (its side effect). */
  run(): Promise<T>;
  /** Decides about a claim a stopped attempt left `running`: look at what happened, never re-run blindly. */
  resolveLapsed(): Promise<LapsedClaimDecision<T>>;
  /**
   * True when `run` threw in a way that leaves the effect's outcome open (timed out,
   * cancelled, abandoned): the claim is then left to lapse, so the next attempt resolves it,
   * instead of being released for a plain re-run.
   */
  isUncertain(error: unknown): boolean;
}

/** The outcome of {@link ToolEffectLedger.once}. */
export interface LedgerOutcome<T> {
  result: T;
  /** True when an earlier attempt had already run (or resolved) the call and this is its recorded outcome. */
  replayed: boolean;
  /** How this attempt came to its result. */
  resolution?: ToolEffectResolution;
}

/** The record id of a call: equal only for the same key, tool and arguments. */
export function effectId(idempotencyKey: string, tool: string, args: unknown): string {
  return sha256(`${idempotencyKey}\n${tool}\n${canonicalJson(args)}`);
}

type ClaimAttempt =
  | { kind: 'claimed'; takenOver: boolean }
  | { kind: 'recorded'; record: ToolEffectRecord }
  | { kind: 'live'; leaseExpiresAt: Date }
  | { kind: 'again' };

/**
 * Makes a call with side effects happen once per idempotency key, although the engine runs
 * activities at least once: an attempt claims the key, runs, and records the outcome; a
 * retry finds the outcome and returns it instead of running again.
 *
 * Every MongoDB step waits out an outage (up to the attempt's budget) instead of failing.
 * Without transactions (FerretDB v1 has none) one gap remains: an attempt that dies after
 * the effect but before recording it leaves a claim whose lease lapses. The next attempt
 * does not re-run it blindly: it asks the caller to resolve it (check the outcome, re-run
 * where the target deduplicates by key, or record the outcome as unknown).
 */
export class ToolEffectLedger {
  private readonly collection: Collection<ToolEffectRecord>;
  /** How long a claim stays live without renewal; a running attempt renews it. */
  readonly leaseMs: number;
  private readonly liveClaimWaitMs: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;
  private readonly fields: FieldEncryption;
  private ready: Promise<ExpiryMode> | undefined;

  constructor(db: Db, options: ToolEffectLedgerOptions = {}) {
    this.fields = options.fields ?? PLAIN_FIELDS;
    this.collection = db.collection<ToolEffectRecord>(TOOL_EFFECTS_COLLECTION);
    this.leaseMs = options.leaseMs ?? 10_000;
    this.liveClaimWaitMs = options.liveClaimWaitMs ?? 2 * this.leaseMs;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
    this.now = options.now ?? (() => new Date());
  }

  /** Creates the expiry index once. */
  ensureIndexes(): Promise<ExpiryMode> {
    this.ready ??= ensureExpiryIndex(this.collection, 'expiresAt').catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /**
   * Runs the call unless an attempt with the same key already did; records what happened.
   * A call another attempt is running is waited for; a claim a stopped attempt left behind
   * goes to `handlers.resolveLapsed`. A thrown error of `run` releases the claim, so a retry
   * may run again (the tool said the effect did not happen), unless `isUncertain` says the
   * outcome is open.
   *
   * @throws InfrastructureUnavailableError when MongoDB stayed down for the budget before the call ran
   * @throws {OpenOutcomeError} when another attempt kept a live claim for longer than `liveClaimWaitMs`,
   *   or this attempt left the claim open (its run or the lapsed claim's check stopped uncertain)
   */
  async once<T extends ToolCallResult>(
    entry: { idempotencyKey: string; tool: string; args: unknown },
    handlers: EffectHandlers<T>,
    waits: LedgerWaits,
  ): Promise<LedgerOutcome<T>> {
    const id = effectId(entry.idempotencyKey, entry.tool, entry.args);
    const owner = randomUUID();
    await whileDown(waits, `preparing the ledger of ${entry.tool}`, () => this.ensureIndexes());
    const leaseMs = waits.leaseMs ?? this.leaseMs;
    const claim = await this.acquire(id, entry, owner, waits, leaseMs);
    if (claim.kind === 'recorded') {
      const outcome = this.fields.openJson(claim.record.outcome, outcomeContext(id));
      return { result: outcome as T, replayed: true, resolution: claim.record.resolution };
    }

    const renewal = this.renewWhileRunning(id, owner, leaseMs);
    try {
      let decision: LapsedClaimDecision<T> = { action: 'run', resolution: 'ran' };
      if (claim.takenOver) {
        try {
          decision = await handlers.resolveLapsed();
        } catch (error) {
          // Still unresolved: leave it to the next attempt.
          await this.lapse(id, owner);
          throw openOutcome(error);
        }
      }
      if (decision.action === 'record') {
        await this.record(id, owner, entry.tool, decision.state, decision.result, decision.resolution, waits);
        return { result: decision.result, replayed: false, resolution: decision.resolution };
      }
      let result: T;
      try {
        result = await handlers.run();
      } catch (error) {
        if (!handlers.isUncertain(error)) {
          await this.release(id, owner, entry.tool, waits);
          throw error;
        }
        await this.lapse(id, owner);
        throw openOutcome(error);
      }
      await this.record(id, owner, entry.tool, 'done', result, decision.resolution, waits);
      return { result, replayed: false, resolution: decision.resolution };
    } finally {
      renewal.stop();
    }
  }

  /** Claims the call, waiting while another attempt holds a live claim. */
  private async acquire(
    id: string,
    entry: { idempotencyKey: string; tool: string },
    owner: string,
    waits: LedgerWaits,
    leaseMs: number,
  ): Promise<Exclude<ClaimAttempt, { kind: 'live' } | { kind: 'again' }>> {
    const started = Date.now();
    let delayMs = 100;
    for (;;) {
      const attempt = await whileDown(waits, `claiming the ${entry.tool} call in the ledger`, () =>
        this.tryClaim(id, entry, owner, leaseMs),
      );
      if (attempt.kind === 'claimed' || attempt.kind === 'recorded') return attempt;
      if (attempt.kind === 'again') continue;
      // Another attempt runs the call and renews its lease. Waiting here, heartbeating,
      // costs no retry attempt; the claim lapses within one lease if that attempt died.
      const waitedMs = Date.now() - started;
      const liveClaimWaitMs = Math.max(this.liveClaimWaitMs, waits.liveClaimWaitMs ?? 0);
      if (waitedMs >= liveClaimWaitMs || waits.signal?.aborted === true) {
        throw new OpenOutcomeError(
          `an earlier attempt of this ${entry.tool} call is still running after ${Math.round(waitedMs / 1000)} s; retrying later so its side effect does not happen twice`,
        );
      }
      waits.heartbeat?.({ waitingFor: 'an earlier attempt of this call', waitedMs });
      const untilLapse = attempt.leaseExpiresAt.getTime() - this.now().getTime() + 50;
      await pause(Math.max(50, Math.min(delayMs, untilLapse, liveClaimWaitMs - waitedMs)), waits.signal);
      delayMs = Math.min(delayMs * 2, 2_000);
    }
  }

  /** One try at claiming: inserted, found recorded, found live, or taken over from a stopped attempt. */
  private async tryClaim(
    id: string,
    entry: { idempotencyKey: string; tool: string },
    owner: string,
    leaseMs: number,
  ): Promise<ClaimAttempt> {
    const now = this.now();
    try {
      await this.collection.insertOne({
        _id: id,
        idempotencyKey: entry.idempotencyKey,
        tool: entry.tool,
        state: 'running',
        owner,
        leaseExpiresAt: new Date(now.getTime() + leaseMs),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.retentionMs),
      });
      return { kind: 'claimed', takenOver: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.collection.findOne({ _id: id });
    if (existing === null) return { kind: 'again' }; // released meanwhile: claim afresh
    if (existing.state !== 'running' && existing.outcome !== undefined) return { kind: 'recorded', record: existing };
    // Our own write, retried after a network error that hid its success.
    if (existing.owner === owner) return { kind: 'claimed', takenOver: existing.takenOverFrom !== undefined };
    if (existing.state === 'running' && existing.leaseExpiresAt.getTime() > now.getTime()) {
      return { kind: 'live', leaseExpiresAt: existing.leaseExpiresAt };
    }
    // The claim's attempt stopped renewing it: take it over, unless another attempt just did.
    const takeover = await this.collection.updateOne(
      { _id: id, owner: existing.owner, leaseExpiresAt: existing.leaseExpiresAt },
      {
        $set: {
          state: 'running',
          owner,
          takenOverFrom: existing.owner,
          leaseExpiresAt: new Date(now.getTime() + leaseMs),
          updatedAt: now,
        },
      },
    );
    return takeover.modifiedCount === 1 ? { kind: 'claimed', takenOver: true } : { kind: 'again' };
  }

  /**
   * Records the outcome, waiting out an outage. If MongoDB stays down past the budget the
   * result is still returned: the activity's completion in Temporal's history is durable
   * on its own, so the workflow has it and never asks again; only a retry of this same
   * attempt (a worker dying before Temporal saw the completion) would find the claim
   * unresolved, and that retry resolves it instead of re-running blindly.
   */
  private async record<T extends ToolCallResult>(
    id: string,
    owner: string,
    tool: string,
    state: 'done' | 'unknown',
    result: T,
    resolution: ToolEffectResolution,
    waits: LedgerWaits,
  ): Promise<void> {
    try {
      // A call that ran gets up to a minute to record it even when waiting for the claim used
      // the budget up (the activity's start-to-close has that margin).
      const budgetMs = Math.max(waits.remainingBudgetMs(), Math.min(waits.budgetMs, 60_000));
      const updated = await whileDown(
        { ...waits, remainingBudgetMs: () => budgetMs },
        `recording the outcome of ${tool}`,
        () =>
          this.collection.updateOne(
            { _id: id, owner },
            {
              $set: {
                state,
                outcome: this.fields.sealJson(result as ToolCallResult & Record<string, unknown>, outcomeContext(id)),
                resolution,
                updatedAt: this.now(),
              },
            },
          ),
      );
      if (updated.matchedCount === 0) {
        waits.warn(`the outcome of ${tool} (${id}) was not recorded: another attempt took its claim over meanwhile`);
      }
    } catch (error) {
      // Any failure, an outage past the budget or a server error: the call has run, and
      // failing the attempt now would only turn a known outcome into an unknown one.
      waits.warn(
        `the outcome of ${tool} (${id}) could not be recorded in the ledger (${(error as Error).message}); returning it anyway, Temporal keeps it in the workflow history`,
      );
    }
  }

  /** The tool said the effect did not happen: delete the claim so a retry runs it. */
  private async release(id: string, owner: string, tool: string, waits: LedgerWaits): Promise<void> {
    try {
      await whileDown(waits, `releasing the claim of ${tool}`, () =>
        this.collection.deleteOne({ _id: id, owner, state: 'running' }),
      );
    } catch (error) {
      // The claim then lapses and the next attempt resolves it like a stopped attempt's.
      waits.warn(`the claim of ${tool} (${id}) could not be released: ${(error as Error).message}`);
    }
  }

  /** Ends the lease now, so the next attempt resolves the claim at once. Best effort: it lapses anyway. */
  private async lapse(id: string, owner: string): Promise<void> {
    await this.collection
      .updateOne({ _id: id, owner, state: 'running' }, { $set: { leaseExpiresAt: this.now(), updatedAt: this.now() } })
      .catch(() => undefined);
  }

  private renewWhileRunning(id: string, owner: string, leaseMs: number): { stop(): void } {
    const timer = setInterval(
      () => {
        this.collection
          .updateOne(
            { _id: id, owner, state: 'running' },
            { $set: { leaseExpiresAt: new Date(this.now().getTime() + leaseMs) } },
          )
          .catch(() => undefined); // a missed renewal only shortens the lease
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    return { stop: () => clearInterval(timer) };
  }

  /** The record of a call, if any, its outcome in clear (for tests and the chaos suite). */
  async find(idempotencyKey: string, tool: string, args: unknown): Promise<ToolEffectRecord | null> {
    const record = await this.collection.findOne({ _id: effectId(idempotencyKey, tool, args) });
    if (record?.outcome === undefined) return record;
    return { ...record, outcome: this.fields.openJson(record.outcome, outcomeContext(record._id)) };
  }

  /** Deletes outcomes past their retention; returns how many. */
  async purgeExpired(): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: this.now() } });
    return deletedCount;
  }
}

function outcomeContext(id: string): string {
  return `${TOOL_EFFECTS_COLLECTION}/${id}/outcome`;
}

/**
 * The error an attempt ends with when it leaves the call's outcome open: the same message,
 * marked, so the workflow reports the outcome unknown if no attempt is left. An outage keeps
 * its own type: waiting for MongoDB is not the tool's failure.
 */
function openOutcome(error: unknown): unknown {
  if (isOpenOutcomeError(error) || isInfrastructureUnavailableError(error)) return error;
  // An outage, or a cancellation of the activity, keeps its own kind.
  if (unavailableSystemOf(error) !== undefined || (error as Error | undefined)?.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  const retryAfterMs = isTransientToolError(error) ? error.retryAfterMs : undefined;
  return new OpenOutcomeError(message, retryAfterMs);
}
