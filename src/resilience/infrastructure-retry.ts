import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * Waiting out infrastructure outages inside an activity. An activity that finds MongoDB
 * unreachable is not failing because of its own input: it should wait (heartbeating, so the
 * engine knows it is alive) until the server is back, up to an outage budget, rather than
 * burn its retry attempts in seconds or report the outage to the model as a tool error.
 */

/** Error names of the MongoDB driver that mean "the server cannot be reached right now". */
const MONGO_UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/**
 * Server codes a restarting or unreachable server answers with (the driver's retryable-read
 * set): HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
 * ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
 */
const MONGO_UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * The system an error says is unavailable (`'MongoDB'`), or undefined for any other error.
 * Matches by name and code rather than `instanceof`, so errors from another copy of the
 * driver (test module isolation, a nested dependency) are recognised too.
 */
export function unavailableSystemOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (MONGO_UNAVAILABLE_NAMES.has(error.name)) return 'MongoDB';
  if (error.name.startsWith('Mongo')) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && MONGO_UNAVAILABLE_CODES.has(code)) return 'MongoDB';
    const labels = (error as { errorLabels?: unknown }).errorLabels;
    const transientLabels = ['ResetPool', 'SystemOverloadedError', 'RetryableWriteError', 'TransientTransactionError'];
    if (Array.isArray(labels) && transientLabels.some((label) => labels.includes(label))) return 'MongoDB';
  }
  return undefined;
}

/** True when `error` means infrastructure is down (see {@link unavailableSystemOf}). */
export function isInfrastructureUnavailable(error: unknown): boolean {
  return unavailableSystemOf(error) !== undefined;
}

/** Thrown by {@link retryWhileInfrastructureDown} when the outage outlasted the budget. */
export class InfrastructureUnavailableError extends ChassisError {
  override readonly name = 'InfrastructureUnavailableError';

  constructor(
    /** What was down, e.g. `MongoDB`. */
    readonly system: string,
    /** How long this operation waited for it. */
    readonly waitedMs: number,
    /** What was being done, e.g. `recording the outcome of send_mail`. */
    readonly operation: string,
    override readonly cause: Error,
  ) {
    const duration = waitedMs > 0 ? ` for ${formatSeconds(waitedMs)}` : '';
    super(`${system} was unavailable${duration} while ${operation}: ${cause.message}`);
  }
}

/** True for an {@link InfrastructureUnavailableError} from any copy of this module. */
export const isInfrastructureUnavailableError = markErrorClass(
  InfrastructureUnavailableError,
  'InfrastructureUnavailableError',
);

/** One pause of {@link retryWhileInfrastructureDown}, for logs. */
export interface InfrastructureWait {
  system: string;
  operation: string;
  /** 1 for the first failure of this operation. */
  attempt: number;
  waitedMs: number;
  /** How long until the next try. */
  delayMs: number;
  error: Error;
}

/** Options of {@link retryWhileInfrastructureDown}. */
export interface InfrastructureRetryOptions {
  /** How long to keep trying; 0 or less tries once. */
  budgetMs: number;
  /** What is being done, for messages. @default `an operation` */
  operation?: string;
  /** Called while waiting (about every `heartbeatIntervalMs`), e.g. an activity's heartbeat. */
  heartbeat?: (details?: unknown) => void;
  /** @default 1_000 */
  heartbeatIntervalMs?: number;
  /** Stops waiting: the last error is thrown as an {@link InfrastructureUnavailableError}. */
  signal?: AbortSignal;
  /** Called before each pause. */
  onWait?: (wait: InfrastructureWait) => void;
  /** First pause; doubled after each failure. @default 250 */
  initialDelayMs?: number;
  /** @default 5_000 */
  maximumDelayMs?: number;
  /** Which errors mean "down, wait"; others are thrown at once. @default {@link unavailableSystemOf} */
  classify?: (error: unknown) => string | undefined;
}

/**
 * Runs `operation`, and while it fails because infrastructure is down, waits with backoff
 * and tries again, heartbeating, until it succeeds or `budgetMs` has passed.
 *
 * @throws {InfrastructureUnavailableError} when the outage outlasted the budget (or `signal` aborted)
 * @throws whatever `operation` throws that is not an outage, at once
 */
export async function retryWhileInfrastructureDown<T>(
  operation: () => Promise<T>,
  options: InfrastructureRetryOptions,
): Promise<T> {
  const classify = options.classify ?? unavailableSystemOf;
  const what = options.operation ?? 'an operation';
  const started = Date.now();
  let delayMs = options.initialDelayMs ?? 250;
  const maximumDelayMs = options.maximumDelayMs ?? 5_000;
  const heartbeat = options.heartbeat;
  const timer =
    heartbeat === undefined
      ? undefined
      : setInterval(
          () => heartbeat({ waitingFor: 'infrastructure', operation: what, waitedMs: Date.now() - started }),
          options.heartbeatIntervalMs ?? 1_000,
        );
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        const system = classify(error);
        if (system === undefined) throw error;
        const waitedMs = Date.now() - started;
        const remainingMs = options.budgetMs - waitedMs;
        if (remainingMs <= 0 || options.signal?.aborted === true) {
          throw new InfrastructureUnavailableError(system, waitedMs, what, error as Error);
        }
        const pauseMs = Math.min(delayMs, remainingMs);
        options.onWait?.({ system, operation: what, attempt, waitedMs, delayMs: pauseMs, error: error as Error });
        await pause(pauseMs, options.signal);
        delayMs = Math.min(delayMs * 2, maximumDelayMs);
      }
    }
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}

/** Resolves after `ms`, or early when `signal` aborts (the caller then gives up). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const onAbort = () => {
      clearTimeout(timeout);
      resolve();
    };
    const timeout = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
