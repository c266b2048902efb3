import { type ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../../contracts/failure-types';
import type { TierName, TierUnavailablePolicy } from '../../contracts/models';

/** Used when a history's catalog description has no `whenTierUnavailable` (recorded before it existed). */
export const FALLBACK_TIER_UNAVAILABLE: TierUnavailablePolicy = { moveTo: {}, maxWaitSeconds: 300 };

/** Shortest wait between rounds: a breaker whose trial call is running refuses with `retryInMs: 0`. */
const MIN_WAIT_MS = 2_000;
const DEFAULT_COOL_DOWN_MS = 30_000;
const MAX_SUMMARY = 300;

/** One failed model call as the routed call saw it, after the engine's retries. */
export interface ModelCallFailure {
  model: string;
  tier: TierName;
  /** Waiting may fix it: the provider failed or throttled, a breaker is open, the call timed out. */
  transient: boolean;
  /** `Model.Unavailable: …`, `timed out (heartbeat)`. */
  summary: string;
  /** From a `Model.CircuitOpen` failure: when that breaker lets a trial call through. */
  retryInMs?: number;
}

/** What the routed call does once every model of its chain has failed. */
export type OutageStep =
  | { action: 'move'; tier: TierName; reason: string }
  | { action: 'wait'; waitMs: number; reason: string }
  | { action: 'fail'; message: string };

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SUMMARY ? `${flat.slice(0, MAX_SUMMARY)}…` : flat;
}

function retryInMsOf(failure: ApplicationFailure): number | undefined {
  const [details] = failure.details ?? [];
  const retryInMs = (details as { retryInMs?: unknown } | undefined)?.retryInMs;
  return typeof retryInMs === 'number' && retryInMs >= 0 ? retryInMs : undefined;
}

/** Reads an activity failure of a model call: transient or not, in one line, and any breaker wait. */
export function describeModelCallFailure(model: string, tier: TierName, error: ActivityFailure): ModelCallFailure {
  const cause = error.cause;
  if (cause instanceof TimeoutFailure) {
    const kind = String(cause.timeoutType ?? 'unknown')
      .toLowerCase()
      .replace(/_/g, '-');
    return { model, tier, transient: true, summary: `timed out (${kind})` };
  }
  if (cause instanceof ApplicationFailure) {
    const circuitOpen = cause.type === FailureType.ModelCircuitOpen;
    return {
      model,
      tier,
      // A retryable failure that outlasted the engine's retries (5xx, 429, a codec error while
      // MongoDB is down) may pass; a non-retryable one (a bad key, a bad request) will not.
      transient: circuitOpen || cause.nonRetryable !== true,
      summary: oneLine(`${cause.type ?? 'Error'}: ${cause.message}`),
      ...(circuitOpen ? { retryInMs: retryInMsOf(cause) } : {}),
    };
  }
  return { model, tier, transient: true, summary: oneLine(cause?.message ?? error.message) };
}

function seconds(milliseconds: number): string {
  return `${Math.round(milliseconds / 1000)} s`;
}

interface ModelHistory {
  tier: TierName;
  firstAt: number;
  failures: number;
  last: string;
}

/**
 * The state of one routed call whose tier went down: which tiers it tried, what failed,
 * since when. It decides, after each exhausted chain, whether to move to another tier (the
 * catalog's `moveTo`, at most once per tier between waits), to wait durably (until the
 * earliest open breaker half-opens, else an exponential pause), or to give up once
 * `maxWaitSeconds` have passed. Pure: the caller passes the workflow clock.
 */
export class TierOutage {
  private readonly models = new Map<string, ModelHistory>();
  private round: ModelCallFailure[] = [];
  private visited: Set<TierName>;
  private firstFailureAt: number | undefined;
  private unavailableSince: number | undefined;
  private waits = 0;
  private waitedMs = 0;

  constructor(
    private readonly homeTier: TierName,
    private readonly policy: TierUnavailablePolicy,
    private readonly options: { canMove: boolean; breakerCoolDownMs?: number },
  ) {
    this.visited = new Set([homeTier]);
  }

  /** The tier to go back to after a wait. */
  get home(): TierName {
    return this.homeTier;
  }

  /** Records a failed call of the current round. */
  record(failure: ModelCallFailure, now: number): void {
    this.firstFailureAt ??= now;
    this.round.push(failure);
    const known = this.models.get(failure.model);
    this.models.set(failure.model, {
      tier: failure.tier,
      firstAt: known?.firstAt ?? now,
      failures: (known?.failures ?? 0) + 1,
      last: failure.summary,
    });
  }

  /**
   * What to do now that every model of `tier` failed in this round; undefined when no
   * failure of the round can pass by waiting (the caller rethrows, as before).
   */
  next(tier: TierName, now: number): OutageStep | undefined {
    if (!this.round.some((failure) => failure.transient)) return undefined;
    this.unavailableSince ??= now;
    const target = this.policy.moveTo[tier];
    if (this.options.canMove && target !== undefined && !this.visited.has(target)) {
      this.visited.add(target);
      return {
        action: 'move',
        tier: target,
        reason: `tier ${tier} unavailable (${this.roundSummary()}): moved to ${target} (routing.whenTierUnavailable.moveTo)`,
      };
    }
    const maxWaitMs = this.policy.maxWaitSeconds * 1000;
    const remaining = maxWaitMs - (now - this.unavailableSince);
    if (remaining <= 0) return { action: 'fail', message: this.failureMessage(now) };
    const waitMs = Math.min(remaining, Math.max(MIN_WAIT_MS, this.nextWaitMs()));
    return {
      action: 'wait',
      waitMs,
      reason: `tier ${tier} unavailable (${this.roundSummary()}): waited ${seconds(waitMs)}`,
    };
  }

  /** After a wait the call starts again from its home tier, with a fresh round. */
  waited(waitMs: number): void {
    this.waits++;
    this.waitedMs += waitMs;
    this.visited = new Set([this.homeTier]);
    this.round = [];
  }

  /**
   * Until the earliest moment something may have changed: an open breaker (of any tier tried
   * since the last wait) half-opens, or, for a model that failed without a breaker saying
   * when, an exponential pause (2 s, 4 s, … up to the breaker cool-down).
   */
  private nextWaitMs(): number {
    const coolDown = this.options.breakerCoolDownMs ?? DEFAULT_COOL_DOWN_MS;
    const backoff = Math.min(MIN_WAIT_MS * 2 ** this.waits, coolDown);
    const candidates = this.round
      .filter((failure) => failure.transient)
      .map((failure) => (failure.retryInMs !== undefined && failure.retryInMs > 0 ? failure.retryInMs : backoff));
    return Math.min(...candidates);
  }

  private roundSummary(): string {
    const models = [...new Set(this.round.map((failure) => failure.model))];
    return `${models.join(', ')} failed`;
  }

  private failureMessage(now: number): string {
    const tiers = [...new Set([...this.models.values()].map((history) => history.tier))];
    const lines = [...this.models.entries()].map(
      ([model, history]) =>
        `${model} (${history.tier}): ${history.failures} failed call${history.failures === 1 ? '' : 's'} over ${seconds(now - history.firstAt)}, last: ${history.last}`,
    );
    return (
      `no model could answer for ${seconds(now - (this.firstFailureAt ?? now))}: every model of tier${tiers.length === 1 ? '' : 's'} ` +
      `${tiers.join(', ')} kept failing or refusing, and the call waited ${seconds(this.waitedMs)} in ${this.waits} ` +
      `pause${this.waits === 1 ? '' : 's'}, up to routing.whenTierUnavailable.maxWaitSeconds (${this.policy.maxWaitSeconds}). ` +
      `${lines.join('; ')}. Check the provider's status; to ride out longer outages raise maxWaitSeconds, or let the ` +
      `tier move to another (routing.whenTierUnavailable.moveTo) in the model catalog`
    );
  }
}
