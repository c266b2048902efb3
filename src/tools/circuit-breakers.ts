import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { PermanentToolError } from './tool-errors';

/** Options of {@link ToolCircuitBreakers}. */
export interface ToolCircuitBreakerOptions {
  /** Consecutive counted failures that open a breaker. @default 5 */
  threshold?: number;
  /** How long an open breaker refuses calls before it lets one trial call through. @default 30_000 */
  coolDownMs?: number;
}

/**
 * Thrown by {@link ToolCircuitBreakers.execute} when the breaker is open: the call did not run.
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';

  constructor(
    readonly key: string,
    /** Milliseconds until a trial call is let through. */
    readonly retryInMs: number,
  ) {
    super(`circuit ${key} is open for ${retryInMs} ms`);
  }
}

/**
 * Wraps a failure that must not count against the breaker (the call was cancelled: not the
 * tool's fault). {@link ToolCircuitBreakers.execute} unwraps it before rethrowing.
 */
export class UncountedFailure extends Error {
  override readonly name = 'UncountedFailure';

  constructor(readonly original: unknown) {
    super('uncounted failure');
  }
}

/** Failures that say a tool or its service is unhealthy: anything but the model's mistakes. */
function countsAsFailure(error: Error): boolean {
  return !(error instanceof PermanentToolError) && !(error instanceof UncountedFailure);
}

interface Breaker {
  policy: CircuitBreakerPolicy;
  openedAt: number | undefined;
}

/**
 * One circuit breaker per tool (or per key, such as `http_fetch:example.com`) in this worker
 * process, on cockatiel's `ConsecutiveBreaker`: after `threshold` consecutive transient
 * failures calls fail fast for `coolDownMs`, then one trial call decides whether it closes.
 * Invalid arguments never reach a breaker, and permanent errors (the model's mistakes, such
 * as a 404) do not count. State is per process (DESIGN decision 2): another worker has its own.
 * cockatiel reads `Date.now()`, so tests use a short cool-down or Jest's fake clock.
 */
export class ToolCircuitBreakers {
  private readonly breakers = new Map<string, Breaker>();
  readonly threshold: number;
  readonly coolDownMs: number;

  constructor(options: ToolCircuitBreakerOptions = {}) {
    this.threshold = options.threshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new Error('threshold must be an integer >= 1');
    if (!(this.coolDownMs > 0)) throw new Error('coolDownMs must be > 0');
  }

  private breaker(key: string): Breaker {
    let breaker = this.breakers.get(key);
    if (breaker === undefined) {
      const policy = circuitBreaker(handleWhen(countsAsFailure), {
        halfOpenAfter: this.coolDownMs,
        breaker: new ConsecutiveBreaker(this.threshold),
      });
      const created: Breaker = { policy, openedAt: undefined };
      policy.onBreak(() => {
        created.openedAt = Date.now();
      });
      policy.onReset(() => {
        created.openedAt = undefined;
      });
      this.breakers.set(key, created);
      breaker = created;
    }
    return breaker;
  }

  /** `closed`, `open` (refusing calls), or `half-open` (cool-down over: the next call is a trial). */
  state(key: string): 'closed' | 'open' | 'half-open' {
    const breaker = this.breakers.get(key);
    if (breaker === undefined) return 'closed';
    switch (breaker.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return this.retryInMs(key) === undefined ? 'half-open' : 'open';
    }
  }

  /** Milliseconds until an open breaker lets a trial call through; undefined when calls may run. */
  retryInMs(key: string): number | undefined {
    const breaker = this.breakers.get(key);
    if (breaker === undefined || breaker.openedAt === undefined) return undefined;
    if (breaker.policy.state !== CircuitState.Open && breaker.policy.state !== CircuitState.Isolated) return undefined;
    const remaining = breaker.openedAt + this.coolDownMs - Date.now();
    return remaining > 0 ? remaining : undefined;
  }

  /**
   * Runs `run` through the key's breaker.
   *
   * @throws {CircuitOpenError} without running `run` when the breaker is open
   * @throws whatever `run` throws (an {@link UncountedFailure} is unwrapped first)
   */
  async execute<T>(key: string, run: () => Promise<T>): Promise<T> {
    const breaker = this.breaker(key);
    try {
      return await breaker.policy.execute(run);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new CircuitOpenError(key, this.retryInMs(key) ?? this.coolDownMs);
      }
      if (error instanceof UncountedFailure) throw error.original;
      throw error;
    }
  }
}
