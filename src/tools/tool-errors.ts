/**
 * Thrown by a tool when the failure may pass (timeout, 503, lock): the activity raises a
 * retryable failure and the engine retries with backoff.
 */
export class TransientToolError extends Error {
  override readonly name = 'TransientToolError';

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

/**
 * Thrown by a tool when retrying cannot help (not found, forbidden, bad input the schema
 * could not catch): the model is told, so it can change course.
 */
export class PermanentToolError extends Error {
  override readonly name = 'PermanentToolError';
}
