import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Timeout and retry profiles, one per kind of activity. The model-call start-to-close
 * timeout stays above the OpenAI client's own request timeout (60 s by default) so the
 * client reports the timeout, not the engine.
 */
export const modelCall: ActivityOptions = {
  startToCloseTimeout: '90 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
};

/** Tool calls: short, retried a few times; after that the model is told. */
export const toolCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
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
