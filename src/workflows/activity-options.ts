import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Timeout and retry profiles, one per kind of activity. The model-call start-to-close
 * timeout stays above the OpenAI client's own request timeout (60 s by default) so the
 * client reports the timeout, not the engine.
 */
export const modelCall: ActivityOptions = {
  startToCloseTimeout: '90 seconds',
  // Three attempts, then the workflow moves down the model's fallback chain (a breaker may cut it shorter).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
};

/**
 * Tool calls of a tool without a policy: short, retried a few times; after that the model is
 * told. Every call heartbeats, so a dead worker is noticed within seconds. (Tools with a
 * policy get options from it, see `tool-calls.ts`.)
 */
export const toolCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '5 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
  },
};

/** Reads of worker-local facts (tool definitions). */
export const workerLookup: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
};

/** Memory reads: a few quick attempts, then the task goes on without memory and says so. */
export const memoryRead: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
};

/**
 * Memory writes: retried until MongoDB is back (ids are deterministic, so a retry never
 * stores twice). They run in an abandoned child workflow, so they never hold up an answer.
 */
export const memoryWrite: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Fact extraction calls a model that may answer badly: a bounded number of attempts. */
export const factExtraction: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};
