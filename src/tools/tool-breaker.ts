import { KeyedCircuitBreaker, type KeyedCircuitBreakerOptions } from '../resilience/keyed-circuit-breaker';
import { isPermanentToolError } from './tool-errors';

/** Options of {@link createToolBreaker}: the keyed breaker's, with the tool failure rules. */
export type ToolBreakerOptions = Pick<KeyedCircuitBreakerOptions, 'opensOn' | 'coolDownMs'>;

/** A tool or its service is unhealthy on any failure but the model's mistakes (a permanent error such as a 404). */
export function countsAsToolFailure(error: unknown): boolean {
  return !isPermanentToolError(error);
}

/**
 * The per-tool breakers of a worker (one per tool, or per key such as
 * `http_fetch:example.com`): the keyed breaker opening after 5 consecutive transient
 * failures by default. A refused call throws a `CircuitOpenError`, which the tool runner
 * turns into an observation for the model (`Tool.CircuitOpen`).
 */
export function createToolBreaker(options: ToolBreakerOptions = {}): KeyedCircuitBreaker {
  return new KeyedCircuitBreaker({
    opensOn: options.opensOn ?? { consecutiveFailures: 5 },
    coolDownMs: options.coolDownMs ?? 30_000,
    countsAsFailure: countsAsToolFailure,
  });
}
