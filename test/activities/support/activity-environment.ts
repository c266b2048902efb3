import { MockActivityEnvironment } from '@temporalio/testing';
import { quietLogger } from '../../../src/observability/quiet-logger';

const silent = quietLogger('OFF');

/**
 * Runs an activity function inside a mock activity context (it gives the cancellation
 * signal and heartbeat); everything else the activity touches is real.
 */
export function runActivity<R>(work: () => Promise<R>): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: silent }).run(work) as Promise<R>;
}

/** The fields tests check on a thrown Temporal failure (Jest's module isolation breaks `instanceof`). */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<{ name: string; type: string | null; nonRetryable: boolean; message: string }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { name: string; type?: string | null; nonRetryable?: boolean; message: string };
    return {
      name: failure.name,
      type: failure.type ?? null,
      nonRetryable: failure.nonRetryable === true,
      message: failure.message,
    };
  }
  throw new Error('expected the activity to fail, but it succeeded');
}
