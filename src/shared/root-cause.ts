/**
 * The innermost cause of an error. Temporal wraps what went wrong (an `ActivityFailure`
 * around an `ApplicationFailure`, a `WorkflowFailedError` around a `ChildWorkflowFailure`
 * around …); people want the innermost message. Pure and sandbox-safe: workflows, the
 * client and the domain modules use the same walk.
 */

/** Chains longer than this are cut (a cause chain that loops back on itself never ends). */
const MAX_CAUSE_DEPTH = 32;

/** The innermost `Error` in `error`'s `cause` chain (`error` itself when it has no error cause). */
export function rootCause(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error && current.cause instanceof Error; depth++) {
    current = current.cause;
  }
  return current;
}

/** The message of {@link rootCause}: what actually went wrong, without the wrapping; a non-error as text. */
export function rootCauseMessage(error: unknown): string {
  const cause = rootCause(error);
  return cause instanceof Error ? cause.message : String(cause);
}
