import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contracts/failure-types';
import { KeyedCircuitBreaker, type BreakerTrigger, type CircuitRefusal } from '../resilience/keyed-circuit-breaker';

/** Breaker settings of the model catalog (`breaker`), in milliseconds. */
export interface ModelBreakerSettings {
  /** @default the catalog's `breaker.opensOn` */
  opensOn: BreakerTrigger;
  coolDownMs: number;
}

/** What `Model.CircuitOpen` failures carry in `details[0]`; the workflow reads `retryInMs` to wait. */
export interface ModelCircuitOpenDetails {
  model: string;
  /** Milliseconds until a trial call is let through in the worker that refused (0: a trial is running). */
  retryInMs: number;
  /** When the breaker opened (ISO 8601), or undefined when it was held open. */
  openedAt?: string;
  failures?: number;
  calls?: number;
  lastFailure?: string;
}

// By name, not instanceof: Jest's per-file module registry can hold two copies of the SDK.
function isApplicationFailure(error: unknown): error is ApplicationFailure {
  return error instanceof Error && error.name === 'ApplicationFailure';
}

/**
 * A model is unhealthy when a call fails retryably (5xx, timeouts, connection errors, 429);
 * bad requests and authentication errors are the caller's problem and do not count.
 */
export function countsAsModelFailure(error: unknown): boolean {
  return isApplicationFailure(error) && error.nonRetryable !== true;
}

/** `Model.Unavailable: provider answered HTTP 500: …`, without the `model X:` prefix. */
export function describeModelFailure(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/^model \S+: /, '');
  const type = isApplicationFailure(error) && error.type ? `${error.type}: ` : '';
  const line = `${type}${text}`.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

/**
 * The refusal of an open model breaker: a NON-retryable `Model.CircuitOpen` failure (retrying
 * in this worker would hit the same open breaker), so the workflow moves down its fallback
 * chain at once, or waits `retryInMs` when its whole tier is refusing.
 */
export function modelCircuitOpenFailure(refusal: CircuitRefusal): ApplicationFailure {
  const { opening } = refusal;
  const details: ModelCircuitOpenDetails = {
    model: refusal.key,
    retryInMs: refusal.retryInMs,
    ...(opening === undefined
      ? {}
      : {
          openedAt: new Date(opening.at).toISOString(),
          failures: opening.failures,
          calls: opening.calls,
          lastFailure: opening.lastFailure,
        }),
  };
  return ApplicationFailure.create({
    type: FailureType.ModelCircuitOpen,
    message: `model ${refusal.key} failing: ${refusal.description} — the workflow moves to the next model`,
    nonRetryable: true,
    details: [details],
  });
}

/** The per-model breakers of a worker: the keyed breaker with the model failure rules. */
export function createModelBreaker(settings: ModelBreakerSettings): KeyedCircuitBreaker {
  return new KeyedCircuitBreaker({
    opensOn: settings.opensOn,
    coolDownMs: settings.coolDownMs,
    countsAsFailure: countsAsModelFailure,
    openError: modelCircuitOpenFailure,
    describeFailure: describeModelFailure,
  });
}
