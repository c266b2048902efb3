import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * Thrown by a tool when the failure may pass (timeout, 503, lock): the activity raises a
 * retryable failure and the engine retries with backoff.
 */
export class TransientToolError extends ChassisError {
  override readonly name: string = 'TransientToolError';

  /**
   * @param retryAfterMs when the service said how long to wait (`Retry-After`): the engine
   *   uses it as the next retry delay instead of its backoff.
   */
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** True for a {@link TransientToolError} from any copy of this module. */
export const isTransientToolError = markErrorClass(TransientToolError, 'TransientToolError');

/**
 * Thrown by a tool when retrying cannot help (not found, forbidden, bad input the schema
 * could not catch): the model is told, so it can change course.
 */
export class PermanentToolError extends ChassisError {
  override readonly name = 'PermanentToolError';
}

/** True for a {@link PermanentToolError} from any copy of this module. */
export const isPermanentToolError = markErrorClass(PermanentToolError, 'PermanentToolError');

/**
 * Thrown by the runner when a tool did not finish within its `timeoutMs`: transient (the
 * engine retries), and for a tool with side effects its outcome is open (the ledger leaves
 * the claim for the next attempt to resolve rather than re-running it blindly).
 */
export class ToolTimeoutError extends TransientToolError {}

/** True for a {@link ToolTimeoutError} from any copy of this module. */
export const isToolTimeoutError = markErrorClass(ToolTimeoutError, 'ToolTimeoutError');

/**
 * Thrown by the runner when a tool kept running after it was told to stop (its abort signal
 * fired on a timeout or cancellation): the runner stops waiting for it, and whether its
 * effect happened is open.
 */
export class AbandonedToolError extends ChassisError {
  override readonly name = 'AbandonedToolError';
}

/** True for an {@link AbandonedToolError} from any copy of this module. */
export const isAbandonedToolError = markErrorClass(AbandonedToolError, 'AbandonedToolError');

/** Thrown by the runner when a call was cancelled before the tool started: nothing happened. */
export class ToolNotStartedError extends ChassisError {
  override readonly name = 'ToolNotStartedError';
}

/** True for a {@link ToolNotStartedError} from any copy of this module. */
export const isToolNotStartedError = markErrorClass(ToolNotStartedError, 'ToolNotStartedError');

/**
 * A side-effecting call's attempt ended while its outcome was open: an earlier attempt still
 * held the claim, or this one stopped (timed out, cancelled, lost MongoDB) after it may have
 * run the tool. Retryable: the next attempt resolves it. When no attempt is left, the call's
 * outcome is unknown, and the workflow says so instead of telling the model it failed.
 */
export class OpenOutcomeError extends TransientToolError {
  override readonly name = 'OpenOutcomeError';
}

/** True for an {@link OpenOutcomeError} from any copy of this module. */
export const isOpenOutcomeError = markErrorClass(OpenOutcomeError, 'OpenOutcomeError');
