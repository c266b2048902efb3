import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import type { ModelCallSettings } from '../contracts/models';

/** Timeout and retry profiles, one per kind of activity. */

/** The worker's request timeout when the catalog description does not say (`OPENAI_TIMEOUT_MS`'s default). */
export const DEFAULT_MODEL_REQUEST_TIMEOUT_MS = 60_000;

/**
 * What a model activity spends besides its HTTP request: the prompt-cache lookup and write,
 * and the claim check storing a large result in MongoDB.
 */
const MODEL_CALL_OVERHEAD_MS = 30_000;

/**
 * The model activity heartbeats every second while its request runs: a call whose worker
 * died is noticed after this long and retried on another worker (instead of after the
 * whole start-to-close timeout), and a cancellation reaches the running request.
 */
export const MODEL_CALL_HEARTBEAT_TIMEOUT_MS = 5_000;

/**
 * Model calls. The start-to-close timeout is derived from the worker's HTTP request timeout
 * (carried in the catalog description), above it by the activity's other work, so the
 * client reports a slow provider and the engine never starts a retry while an earlier
 * attempt's request may still be running (and billed). With the default 60 s it is 90 s.
 */
export function modelCallOptions(settings?: ModelCallSettings): ActivityOptions {
  const requestTimeoutMs = settings?.requestTimeoutMs ?? DEFAULT_MODEL_REQUEST_TIMEOUT_MS;
  return {
    startToCloseTimeout: requestTimeoutMs + MODEL_CALL_OVERHEAD_MS,
    heartbeatTimeout: MODEL_CALL_HEARTBEAT_TIMEOUT_MS,
    // Three attempts, then the workflow moves down the model's fallback chain (a breaker may cut it shorter).
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
  };
}

/** Model calls with the default request timeout. */
export const modelCall: ActivityOptions = modelCallOptions();

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

/**
 * The same reads as local activities: they run in the worker inside the workflow task, so
 * the task's bookkeeping costs no round trip through the server.
 */
export const localLookup: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
};

/**
 * Starting a workflow from a local activity (the memory writing of a finished task): the
 * server is the one that must accept the task's completion too, so it retries for as long
 * as a short outage lasts (a local activity past its workflow task's timeout keeps the task alive).
 */
export const localStart: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 10,
  },
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

/**
 * Summaries of an agent loop's older steps: a few attempts, then the loop keeps a plain
 * digest instead (the task goes on; the small model is a convenience, not a dependency).
 */
export const stepSummary: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
};

/**
 * The retention sweep: long (it pages through every swept collection), heartbeating after
 * each batch so a dead worker is noticed; a retry starts over, which the sweep allows.
 */
export const retentionSweep: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
};
