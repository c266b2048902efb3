import { ApplicationFailure } from '@temporalio/common';
import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { FailureType } from '../contracts/failure-types';

/** Options of {@link ModelBreakers}. */
export interface ModelBreakerOptions {
  /** Consecutive counted failures of one model that open its breaker. @default 3 */
  consecutiveFailures?: number;
  /** How long an open breaker refuses calls before it lets one trial call through. @default 30_000 */
  coolDownMs?: number;
  /**
   * Whether a failure says the model is unhealthy. @default a retryable failure (an
   * `ApplicationFailure` with `nonRetryable: false`: 5xx, timeouts, connection errors,
   * 429); bad requests and authentication errors are the caller's problem and do not count
   */
  counts?: (error: unknown) => boolean;
}

/** A breaker's state, as tests and logs see it. */
export type ModelBreakerState = 'closed' | 'open' | 'half-open';

interface Breaker {
  policy: CircuitBreakerPolicy;
  openedAt: number | undefined;
  /** Counted failures in a row; a success resets it. */
  consecutive: number;
}

// By name, not instanceof: Jest's per-file module registry can hold two copies of the SDK.
function isRetryableFailure(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'ApplicationFailure' && (error as ApplicationFailure).nonRetryable !== true
  );
}

/**
 * One circuit breaker per model in this worker process (DESIGN decision 2), on
 * cockatiel's `ConsecutiveBreaker`. After `consecutiveFailures` retryable failures in a
 * row the model's calls fail fast, for `coolDownMs`, with a NON-retryable
 * `Model.CircuitOpen` failure, so the workflow moves down its fallback chain at once
 * instead of spending the engine's retries on a model that is down. After the cool-down
 * one trial call goes through (half-open): success closes the breaker, a counted failure
 * opens it for another cool-down. State is per process: another worker has its own.
 * cockatiel reads `Date.now()`, so tests use a short cool-down or Jest's fake clock.
 */
export class ModelBreakers {
  private readonly breakers = new Map<string, Breaker>();
  readonly consecutiveFailures: number;
  readonly coolDownMs: number;
  private readonly counts: (error: unknown) => boolean;

  constructor(options: ModelBreakerOptions = {}) {
    this.consecutiveFailures = options.consecutiveFailures ?? 3;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    this.counts = options.counts ?? isRetryableFailure;
    if (!Number.isInteger(this.consecutiveFailures) || this.consecutiveFailures < 1) {
      throw new Error(`consecutiveFailures must be an integer >= 1, got ${this.consecutiveFailures}`);
    }
    if (!(this.coolDownMs > 0)) throw new Error(`coolDownMs must be > 0, got ${this.coolDownMs}`);
  }

  private breaker(model: string): Breaker {
    let breaker = this.breakers.get(model);
    if (breaker === undefined) {
      const created: Breaker = {
        policy: circuitBreaker(
          handleWhen((error) => this.counts(error)),
          { halfOpenAfter: this.coolDownMs, breaker: new ConsecutiveBreaker(this.consecutiveFailures) },
        ),
        openedAt: undefined,
        consecutive: 0,
      };
      created.policy.onBreak(() => {
        created.openedAt = Date.now();
      });
      created.policy.onReset(() => {
        created.openedAt = undefined;
      });
      this.breakers.set(model, created);
      breaker = created;
    }
    return breaker;
  }

  /** `closed`, `open` (refusing calls) or `half-open` (cool-down over, or a trial call running). */
  state(model: string): ModelBreakerState {
    const breaker = this.breakers.get(model);
    if (breaker === undefined) return 'closed';
    switch (breaker.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return this.retryInMs(model) === undefined ? 'half-open' : 'open';
    }
  }

  /** Counted failures in a row for `model` (0 after a success). */
  failuresInARow(model: string): number {
    return this.breakers.get(model)?.consecutive ?? 0;
  }

  /** Milliseconds until an open breaker lets a trial call through; undefined when a call may run. */
  retryInMs(model: string): number | undefined {
    const breaker = this.breakers.get(model);
    if (breaker?.openedAt === undefined || breaker.policy.state !== CircuitState.Open) return undefined;
    const remaining = breaker.openedAt + this.coolDownMs - Date.now();
    return remaining > 0 ? remaining : undefined;
  }

  /**
   * Runs `call` through the model's breaker.
   *
   * @throws a non-retryable `ApplicationFailure` of type `Model.CircuitOpen`, without
   *   running `call`, while the breaker is open or its one trial call is still running
   * @throws whatever `call` throws otherwise
   */
  async execute<T>(model: string, call: () => Promise<T>): Promise<T> {
    const breaker = this.breaker(model);
    // cockatiel would make concurrent callers wait for the trial call (up to a whole
    // provider timeout); failing fast lets their workflows move down the chain now.
    if (breaker.policy.state === CircuitState.HalfOpen) throw this.openFailure(model, breaker, 'trial');
    try {
      const result = await breaker.policy.execute(call);
      breaker.consecutive = 0;
      return result;
    } catch (error) {
      if (isBrokenCircuitError(error)) throw this.openFailure(model, breaker, 'open');
      if (this.counts(error)) breaker.consecutive++;
      throw error;
    }
  }

  private openFailure(model: string, breaker: Breaker, why: 'open' | 'trial'): ApplicationFailure {
    const failing = `model ${model} is failing (${breaker.consecutive} consecutive errors)`;
    const message =
      why === 'open'
        ? `${failing}; circuit open for ${Math.ceil((this.retryInMs(model) ?? 0) / 1000)} s — the workflow moves to the next model`
        : `${failing}; circuit half-open with a trial call in flight — the workflow moves to the next model`;
    return ApplicationFailure.create({
      type: FailureType.ModelCircuitOpen,
      message,
      // Non-retryable: retrying in this worker would hit the same open breaker.
      nonRetryable: true,
      details: [{ model, consecutiveErrors: breaker.consecutive, retryInMs: this.retryInMs(model) ?? 0 }],
    });
  }
}
