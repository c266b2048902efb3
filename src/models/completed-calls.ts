import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';

/** Which activity a completed call belongs to. */
export interface ActivityIdentity {
  workflowId: string;
  runId: string;
  activityId: string;
}

/** Options of {@link CompletedCalls}. */
export interface CompletedCallsOptions {
  /** Results kept at most; the oldest goes first. @default 500 */
  maxEntries?: number;
  /** How long a result is kept: longer than the model retry policy's backoff. @default 10 minutes */
  ttlMs?: number;
  /** @default `Date.now` */
  now?: () => number;
}

/**
 * The key of a model call attempt: the activity (workflow, run, activity id: the same for
 * every retry of one scheduled call) and a hash of the request, so an activity id reused
 * after a reset with other messages never gets another request's answer.
 */
export function completedCallKey(activity: ActivityIdentity, input: ModelCallInput): string {
  const request = createHash('sha256').update(stableStringify(input)).digest('hex');
  return `${activity.workflowId}\n${activity.runId}\n${activity.activityId}\n${request}`;
}

/**
 * A small bounded in-process memo of model calls that completed in this worker, so a retry
 * of the same activity never pays the provider again: the provider answered, and then
 * something after the call failed the attempt (the claim-check codec storing the result
 * while MongoDB is down, the worker's answer lost on the way to the server). The retry
 * finds the answer here and returns it without a request.
 *
 * What it does not cover: a retry that lands on another worker process, or on this one
 * after a restart (the memo is in memory); and an attempt that died before its result was
 * recorded here (a worker killed mid-request pays again, as it must: there is no answer).
 */
export class CompletedCalls {
  private readonly entries = new Map<string, { result: ModelCallResult; storedAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: CompletedCallsOptions = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The completed result of `key`, if this worker has it and it is fresh. */
  get(key: string): ModelCallResult | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.storedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.result;
  }

  /** Keeps `result` for retries of the same attempt; evicts the oldest beyond the bound. */
  set(key: string, result: ModelCallResult): void {
    this.entries.delete(key);
    this.entries.set(key, { result, storedAt: this.now() });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /** Entries held now (tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }
}
