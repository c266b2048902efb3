import { ActivityFailure, ApplicationFailure, isCancellation, TemporalFailure } from '@temporalio/workflow';

/** Why an activity call failed, as a workflow reads it. */
export interface ActivityCallFailure {
  message: string;
  /** The `ApplicationFailure` type, when the activity raised one. */
  type?: string;
}

/**
 * The failure of an activity or local activity call, or `undefined` when `error` is not one
 * (a cancellation, a bug in the workflow). The SDK wraps a normal activity's failure in an
 * `ActivityFailure` whose cause is what the activity raised; a local activity's failure
 * arrives unwrapped (the `ApplicationFailure` or `TimeoutFailure` itself).
 */
export function activityCallFailure(error: unknown): ActivityCallFailure | undefined {
  if (isCancellation(error)) return undefined;
  const failure = error instanceof ActivityFailure ? (error.cause ?? error) : error;
  if (!(failure instanceof TemporalFailure)) return undefined;
  const type = failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined;
  return { message: failure.message, ...(type !== undefined ? { type } : {}) };
}
