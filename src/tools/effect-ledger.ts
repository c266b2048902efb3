import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { ToolCallResult } from '../contracts/activities';
import { canonicalJson, sha256 } from './canonical-key';
import { ensureExpiryIndex, isDuplicateKeyError, type ExpiryMode } from './mongo-support';
import { TransientToolError } from './tool-errors';

/** Collection of recorded outcomes of calls with side effects. */
export const TOOL_EFFECTS_COLLECTION = 'tool_effects';

/** One call with side effects: claimed while it runs, then its outcome. */
export interface ToolEffectRecord {
  /** Hash of idempotency key, tool and arguments (see {@link effectId}). */
  _id: string;
  idempotencyKey: string;
  tool: string;
  state: 'running' | 'done';
  /** Which attempt holds the claim. */
  owner: string;
  /** A running claim whose lease passed belongs to a stopped worker and may be taken over. */
  leaseExpiresAt: Date;
  outcome?: ToolCallResult & Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

/** Options of {@link ToolEffectLedger}. */
export interface ToolEffectLedgerOptions {
  /**
   * How long a running claim stays valid without renewal; renewed every third of it while
   * the tool runs, so only a stopped worker's claim lapses. @default 30_000
   */
  leaseMs?: number;
  /** How long outcomes are kept (retries of a call happen within its workflow's life). @default 7 days */
  retentionMs?: number;
  /** @default `() => new Date()` */
  now?: () => Date;
}

/** The outcome of {@link ToolEffectLedger.once}. */
export interface LedgerOutcome<T> {
  result: T;
  /** True when an earlier attempt had already run the call and this is its recorded outcome. */
  replayed: boolean;
}

/** The record id of a call: equal only for the same key, tool and arguments. */
export function effectId(idempotencyKey: string, tool: string, args: unknown): string {
  return sha256(`${idempotencyKey}\n${tool}\n${canonicalJson(args)}`);
}

/**
 * Makes a call with side effects happen once per idempotency key, although the engine runs
 * activities at least once: an attempt claims the key, runs, and records the outcome; a
 * retry finds the outcome and returns it instead of running again.
 *
 * Without transactions (FerretDB v1 has none) one gap remains: a worker that dies after the
 * effect but before recording it leaves a claim whose lease lapses, and the next attempt
 * runs the effect again. Tools that can pass the key to the system they change (an HTTP
 * `Idempotency-Key` header, a unique id column) close that gap themselves.
 */
export class ToolEffectLedger {
  private readonly collection: Collection<ToolEffectRecord>;
  private readonly leaseMs: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;
  private ready: Promise<ExpiryMode> | undefined;

  constructor(db: Db, options: ToolEffectLedgerOptions = {}) {
    this.collection = db.collection<ToolEffectRecord>(TOOL_EFFECTS_COLLECTION);
    this.leaseMs = options.leaseMs ?? 30_000;
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
   * Runs `run` unless an attempt with the same key already did; records what it returned.
   * A thrown error releases the claim so a retry may run again (the effect did not complete).
   *
   * @throws {TransientToolError} while another attempt holds a live claim on the key
   */
  async once<T extends ToolCallResult>(
    entry: { idempotencyKey: string; tool: string; args: unknown },
    run: () => Promise<T>,
  ): Promise<LedgerOutcome<T>> {
    await this.ensureIndexes();
    const id = effectId(entry.idempotencyKey, entry.tool, entry.args);
    const owner = randomUUID();
    const claimed = await this.claim(id, entry, owner);
    if (claimed !== true) return { result: claimed as T, replayed: true };

    const renewal = setInterval(
      () => {
        this.collection
          .updateOne(
            { _id: id, owner, state: 'running' },
            { $set: { leaseExpiresAt: new Date(this.now().getTime() + this.leaseMs) } },
          )
          .catch(() => undefined); // a missed renewal only shortens the lease
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    let result: T;
    try {
      result = await run();
    } catch (error) {
      clearInterval(renewal);
      await this.collection.deleteOne({ _id: id, owner, state: 'running' }).catch(() => undefined);
      throw error;
    }
    clearInterval(renewal);
    await this.collection.updateOne(
      { _id: id, owner },
      { $set: { state: 'done', outcome: result as ToolEffectRecord['outcome'] } },
    );
    return { result, replayed: false };
  }

  /** True when this attempt owns the claim; the recorded outcome when the call already ran. */
  private async claim(
    id: string,
    entry: { idempotencyKey: string; tool: string },
    owner: string,
  ): Promise<true | ToolCallResult> {
    const now = this.now();
    try {
      await this.collection.insertOne({
        _id: id,
        idempotencyKey: entry.idempotencyKey,
        tool: entry.tool,
        state: 'running',
        owner,
        leaseExpiresAt: new Date(now.getTime() + this.leaseMs),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.retentionMs),
      });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.collection.findOne({ _id: id });
    if (existing === null) return this.claim(id, entry, owner); // released meanwhile: claim afresh
    if (existing.state === 'done' && existing.outcome !== undefined) return existing.outcome;
    if (existing.leaseExpiresAt.getTime() > now.getTime()) {
      throw new TransientToolError(
        `an earlier attempt of this ${entry.tool} call is still running; retrying later so its side effect does not happen twice`,
      );
    }
    // The claim's worker stopped renewing it: take over, unless another attempt just did.
    const takeover = await this.collection.updateOne(
      { _id: id, owner: existing.owner, state: 'running' },
      { $set: { owner, leaseExpiresAt: new Date(now.getTime() + this.leaseMs) } },
    );
    if (takeover.modifiedCount === 1) return true;
    throw new TransientToolError(`another attempt of this ${entry.tool} call took it over; retrying later`);
  }

  /** Deletes outcomes past their retention; returns how many. */
  async purgeExpired(): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: this.now() } });
    return deletedCount;
  }
}
