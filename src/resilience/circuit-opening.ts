/**
 * What opens a breaker. Both kinds judge counted failures only (see
 * `KeyedCircuitBreakerOptions.countsAsFailure`).
 *
 * - `{ consecutiveFailures: N }`: N counted failures in a row (a success resets the run).
 * - `{ failureRate, lastCalls, minimumCalls }`: more than `failureRate` of the last
 *   `lastCalls` calls failed, once at least `minimumCalls` calls were made. It tells a
 *   service that is down (most calls fail) from one that is degraded (a steady share of
 *   errors that retries absorb), which a run of bad luck would open a consecutive breaker on.
 */
export type BreakerTrigger =
  { consecutiveFailures: number } | { failureRate: number; lastCalls: number; minimumCalls: number };

/** Why and when a breaker opened, recorded at that moment so later calls cannot change it. */
export interface CircuitOpening {
  /** When it opened, in milliseconds since the epoch. */
  at: number;
  /** `threshold`: the trigger's condition was met; `trial`: the half-open trial call failed. */
  cause: 'threshold' | 'trial';
  /** Counted failures behind the opening: the run length, or the failures in the window. */
  failures: number;
  /** Calls judged: equal to `failures` for a consecutive trigger, the window's calls for a rate trigger. */
  calls: number;
  trigger: BreakerTrigger;
  /** One line on the failure that opened it. */
  lastFailure: string;
}

/** What an open breaker says when it refuses a call; its `openError` option turns it into an error. */
export interface CircuitRefusal {
  /** The breaker's key (a model id, a tool name or `tool:host`). */
  key: string;
  /** `open`: refusing calls for the cool-down; `half-open`: its one trial call is still running. */
  state: 'open' | 'half-open';
  /** Milliseconds until a trial call is let through; 0 while the trial call runs. */
  retryInMs: number;
  /** How it opened; undefined only if it was held open by hand. */
  opening: CircuitOpening | undefined;
  /** e.g. `breaker opened after 3 consecutive errors (last: HTTP 500 …) 12 s ago, half-opens in 18 s`. */
  description: string;
}

/** Whole seconds, rounded `up` for a wait (never "in 0 s" while still open) and down for an age. */
function seconds(milliseconds: number, round: (value: number) => number): string {
  return `${Math.max(0, round(milliseconds / 1000))} s`;
}

function what(opening: CircuitOpening): string {
  if (opening.cause === 'trial') return 'its trial call failed';
  if ('consecutiveFailures' in opening.trigger) {
    return `${opening.failures} consecutive error${opening.failures === 1 ? '' : 's'}`;
  }
  return `${opening.failures} of the last ${opening.calls} calls failed`;
}

/** The one-line description of a refusal, from the opening recorded when the breaker opened. */
export function describeRefusal(
  state: CircuitRefusal['state'],
  retryInMs: number,
  opening: CircuitOpening | undefined,
  now: number,
): string {
  if (opening === undefined) return `breaker held open, half-opens in ${seconds(retryInMs, Math.ceil)}`;
  const since = `${what(opening)} (last: ${opening.lastFailure}) ${seconds(now - opening.at, Math.floor)} ago`;
  return state === 'half-open'
    ? `breaker opened after ${since}; its trial call is running now`
    : `breaker opened after ${since}, half-opens in ${seconds(retryInMs, Math.ceil)}`;
}
