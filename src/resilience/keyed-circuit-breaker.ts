import {
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import { describeRefusal, type BreakerTrigger, type CircuitOpening, type CircuitRefusal } from './circuit-opening';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

export type { BreakerTrigger, CircuitOpening, CircuitRefusal } from './circuit-opening';

/** Options of {@link KeyedCircuitBreaker}; models and tools use the same names. */
export interface KeyedCircuitBreakerOptions {
  /** What opens a key's breaker. @default `{ consecutiveFailures: 5 }` */
  opensOn?: BreakerTrigger;
  /** How long an open breaker refuses calls before it lets one trial call through. @default 30_000 */
  coolDownMs?: number;
  /** Whether an error says the key's service is unhealthy; others pass through uncounted. @default every error */
  countsAsFailure?: (error: unknown) => boolean;
  /** What a refused call throws. @default a {@link CircuitOpenError} */
  openError?: (refusal: CircuitRefusal) => Error;
  /** One line on a failure, for messages. @default the error's message, cut to 160 characters */
  describeFailure?: (error: unknown) => string;
}

/** The default refusal: the call did not run. */
export class CircuitOpenError extends ChassisError {
  override readonly name = 'CircuitOpenError';
  readonly key: string;
  /** Milliseconds until a trial call is let through (0 while one runs). */
  readonly retryInMs: number;

  constructor(readonly refusal: CircuitRefusal) {
    super(`circuit ${refusal.key}: ${refusal.description}`);
    this.key = refusal.key;
    this.retryInMs = refusal.retryInMs;
  }
}

/** True for a {@link CircuitOpenError} from any copy of this module. */
export const isCircuitOpenError = markErrorClass(CircuitOpenError, 'CircuitOpenError');

/**
 * Wraps a failure that must not count against the breaker (the call was cancelled: not the
 * service's fault). {@link KeyedCircuitBreaker.execute} unwraps it before rethrowing.
 */
export class UncountedFailure extends ChassisError {
  override readonly name = 'UncountedFailure';

  constructor(readonly original: unknown) {
    super('uncounted failure');
  }
}

/** True for an {@link UncountedFailure} from any copy of this module. */
export const isUncountedFailure = markErrorClass(UncountedFailure, 'UncountedFailure');

/** A breaker's state, as tests and logs see it. */
export type CircuitBreakerState = 'closed' | 'open' | 'half-open';

interface Circuit {
  policy: CircuitBreakerPolicy;
  /** The failures behind a trip, read from cockatiel's breaker at the moment it opens. */
  countNow: () => { failures: number; calls: number };
  opening: CircuitOpening | undefined;
  trialRunning: boolean;
}

const MAX_DESCRIPTION = 160;

function defaultDescription(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;
}

function validate(trigger: BreakerTrigger, coolDownMs: number): void {
  if ('consecutiveFailures' in trigger) {
    if (!Number.isInteger(trigger.consecutiveFailures) || trigger.consecutiveFailures < 1) {
      throw new Error(`consecutiveFailures must be an integer >= 1, got ${trigger.consecutiveFailures}`);
    }
  } else {
    const { failureRate, lastCalls, minimumCalls } = trigger;
    if (!(failureRate > 0 && failureRate < 1)) throw new Error(`failureRate must be in (0, 1), got ${failureRate}`);
    if (!Number.isInteger(lastCalls) || lastCalls < 1) throw new Error(`lastCalls must be an integer >= 1`);
    if (!Number.isInteger(minimumCalls) || minimumCalls < 1 || minimumCalls > lastCalls) {
      throw new Error(`minimumCalls must be an integer from 1 to lastCalls (${lastCalls}), got ${minimumCalls}`);
    }
  }
  if (!(coolDownMs > 0)) throw new Error(`coolDownMs must be > 0, got ${coolDownMs}`);
}

/** cockatiel's breaker for a trigger, and how to read the failures it judged. */
function counterFor(trigger: BreakerTrigger): {
  breaker: IBreaker;
  countNow: () => { failures: number; calls: number };
} {
  if ('consecutiveFailures' in trigger) {
    const breaker = new ConsecutiveBreaker(trigger.consecutiveFailures);
    return { breaker, countNow: () => ({ failures: breaker.state, calls: breaker.state }) };
  }
  const breaker = new CountBreaker({
    threshold: trigger.failureRate,
    size: trigger.lastCalls,
    minimumNumberOfCalls: trigger.minimumCalls,
  });
  return {
    breaker,
    countNow: () => {
      // The sliding window cockatiel serializes (`toJSON`): counts of the last `size` calls.
      const state = breaker.state as { failures?: unknown; successes?: unknown };
      const failures = typeof state.failures === 'number' ? state.failures : 0;
      const successes = typeof state.successes === 'number' ? state.successes : 0;
      return { failures, calls: failures + successes };
    },
  };
}

/**
 * One circuit breaker per key (a model, a tool, a tool's host) in this worker process, on
 * cockatiel's policies (docs/architecture.md, decision 2): when a key's counted failures meet the trigger,
 * its calls are refused for `coolDownMs` without running; then one trial call decides
 * whether it closes. A call arriving while the trial runs is refused at once rather than
 * queued behind it (its caller can move on: a fallback model, an observation for the model).
 *
 * When a breaker opens it records why (how many failures, the last one, when), so the
 * refusal message stays true while concurrent calls finish after the opening.
 * State is per process: another worker has its own. cockatiel reads `Date.now()`, so tests
 * use a short cool-down or Jest's fake clock.
 */
export class KeyedCircuitBreaker {
  readonly opensOn: BreakerTrigger;
  readonly coolDownMs: number;
  private readonly circuits = new Map<string, Circuit>();
  private readonly countsAsFailure: (error: unknown) => boolean;
  private readonly openError: (refusal: CircuitRefusal) => Error;
  private readonly describeFailure: (error: unknown) => string;

  constructor(options: KeyedCircuitBreakerOptions = {}) {
    this.opensOn = options.opensOn ?? { consecutiveFailures: 5 };
    this.coolDownMs = options.coolDownMs ?? 30_000;
    validate(this.opensOn, this.coolDownMs);
    this.countsAsFailure = options.countsAsFailure ?? (() => true);
    this.openError = options.openError ?? ((refusal) => new CircuitOpenError(refusal));
    this.describeFailure = options.describeFailure ?? defaultDescription;
  }

  private circuit(key: string): Circuit {
    const existing = this.circuits.get(key);
    if (existing !== undefined) return existing;
    const { breaker, countNow } = counterFor(this.opensOn);
    const policy = circuitBreaker(
      handleWhen((error) => !isUncountedFailure(error) && this.countsAsFailure(error)),
      { halfOpenAfter: this.coolDownMs, breaker },
    );
    const circuit: Circuit = { policy, countNow, opening: undefined, trialRunning: false };
    policy.onHalfOpen(() => {
      circuit.trialRunning = true;
    });
    // Runs synchronously inside cockatiel right after its breaker decided to open, so the
    // counts are the ones that decided, before any other call can change them.
    policy.onBreak((reason) => {
      const cause = circuit.trialRunning ? 'trial' : 'threshold';
      circuit.trialRunning = false;
      const counted = countNow();
      circuit.opening = {
        at: Date.now(),
        cause,
        ...counted,
        trigger: this.opensOn,
        lastFailure: 'error' in reason ? this.describeFailure(reason.error) : 'held open',
      };
    });
    policy.onReset(() => {
      circuit.trialRunning = false;
      circuit.opening = undefined;
    });
    this.circuits.set(key, circuit);
    return circuit;
  }

  /** The keys that have had a call in this process (for metrics). */
  keys(): string[] {
    return [...this.circuits.keys()];
  }

  /** `closed`, `open` (refusing calls) or `half-open` (cool-down over, or a trial call running). */
  state(key: string): CircuitBreakerState {
    const circuit = this.circuits.get(key);
    if (circuit === undefined) return 'closed';
    switch (circuit.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return this.retryInMs(key) === undefined ? 'half-open' : 'open';
    }
  }

  /** Milliseconds until an open breaker lets a trial call through; undefined when a call may run now. */
  retryInMs(key: string): number | undefined {
    const circuit = this.circuits.get(key);
    if (circuit?.opening === undefined) return undefined;
    if (circuit.policy.state !== CircuitState.Open && circuit.policy.state !== CircuitState.Isolated) return undefined;
    const remaining = circuit.opening.at + this.coolDownMs - Date.now();
    return remaining > 0 ? remaining : undefined;
  }

  /** How the key's breaker last opened, while it is not closed. */
  opening(key: string): CircuitOpening | undefined {
    return this.circuits.get(key)?.opening;
  }

  /**
   * Runs `run` through the key's breaker.
   *
   * @throws what the `openError` option builds, without running `run`, while the breaker
   *   is open or its one trial call is still running
   * @throws whatever `run` throws (an {@link UncountedFailure} is unwrapped first)
   */
  async execute<T>(key: string, run: () => Promise<T>): Promise<T> {
    const circuit = this.circuit(key);
    // cockatiel would make this caller wait for the trial call (up to a whole request
    // timeout); refusing now lets it move on.
    if (circuit.policy.state === CircuitState.HalfOpen) throw this.refuse(key, circuit, 'half-open');
    try {
      return await circuit.policy.execute(run);
    } catch (error) {
      if (isBrokenCircuitError(error)) throw this.refuse(key, circuit, 'open');
      if (isUncountedFailure(error)) throw error.original;
      throw error;
    }
  }

  private refuse(key: string, circuit: Circuit, state: CircuitRefusal['state']): Error {
    const retryInMs = state === 'open' ? (this.retryInMs(key) ?? 0) : 0;
    return this.openError({
      key,
      state,
      retryInMs,
      opening: circuit.opening,
      description: describeRefusal(state, retryInMs, circuit.opening, Date.now()),
    });
  }
}
