import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import type { ModelsDescription } from '../contracts/models';
import { CompletedCalls, completedCallKey } from '../models/completed-calls';
import type { ModelGateway } from '../models/model-gateway';
import { PromptCache } from '../models/prompt-cache';

/** Input of `describeModels`: nothing to ask yet; an object so fields can be added without breaking callers. */
export type DescribeModelsInput = Record<string, never>;

/** What the model activities need; built once per worker process. */
export interface ModelActivityDependencies {
  /** The catalog, one client per endpoint and this process's circuit breakers. */
  models: ModelGateway;
  /**
   * Enables the prompt-response cache (collection `model_prompt_cache`). Calls still opt
   * in one by one (`cache: true` with `temperature: 0`). @default no cache
   */
  db?: Db;
  /** Completed calls kept for retries of the same activity. @default a memo of 500 calls */
  completedCalls?: CompletedCalls;
}

/** Longest pause between two heartbeats of a running model call. */
const MAX_HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeats on a timer while the provider request runs (a streamed answer's chunks will be
 * the natural beats): a dead worker is noticed within the heartbeat timeout, and a
 * cancellation of the activity reaches it (only heartbeating activities learn of one).
 */
function heartbeatWhileRunning(context: Context): () => void {
  const timeoutMs = context.info.heartbeatTimeoutMs;
  const intervalMs =
    timeoutMs === undefined ? MAX_HEARTBEAT_INTERVAL_MS : Math.min(MAX_HEARTBEAT_INTERVAL_MS, timeoutMs / 3);
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), Math.max(100, intervalMs));
  return () => clearInterval(timer);
}

/** Activities that call models; they run on the model task queue. */
export function createModelActivities(dependencies: ModelActivityDependencies) {
  const cache = dependencies.db === undefined ? undefined : new PromptCache(dependencies.db);
  const completed = dependencies.completedCalls ?? new CompletedCalls();
  return {
    /**
     * Calls exactly the model it is given; routing and fallbacks are the workflow's. An
     * open breaker fails at once with a non-retryable `Model.CircuitOpen`, so the
     * workflow moves down the chain without waiting for retries. The request is aborted
     * when the activity is cancelled or times out; a retry of an attempt whose request
     * completed in this worker returns that answer without a new request.
     */
    async callModel(input: ModelCallInput): Promise<ModelCallResult> {
      const context = Context.current();
      const { info } = context;
      const key = completedCallKey(
        {
          workflowId: info.workflowExecution?.workflowId ?? '',
          runId: info.workflowExecution?.runId ?? '',
          activityId: info.activityId,
        },
        input,
      );
      const done = completed.get(key);
      if (done !== undefined) return done;
      const stopHeartbeats = heartbeatWhileRunning(context);
      try {
        const result = await dependencies.models.complete(input, { signal: context.cancellationSignal, cache });
        completed.set(key, result);
        return result;
      } catch (error) {
        // Reported as cancelled, not as a provider failure: the request was aborted on purpose.
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
        throw error;
      } finally {
        stopHeartbeats();
      }
    },

    /** Tiers, routing rules, model views and call settings from this worker's catalog; fetched once per task. */
    async describeModels(_input: DescribeModelsInput = {}): Promise<ModelsDescription> {
      return dependencies.models.describe();
    },
  };
}
