import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { FieldEncryption } from '../codec/field-encryption';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import type { ModelsDescription } from '../contracts/models';
import { CompletedCalls, completedCallKey } from '../models/completed-calls';
import type { ModelGateway } from '../models/model-gateway';
import { PromptCache } from '../models/prompt-cache';
import { ModelCallEvents } from '../events/model-call-events';
import { warnInActivity } from './activity-warning';
import { heartbeatDuring } from './heartbeat-during';
import type { TaskEventLog } from '../events/task-event-log';

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
  /** Encrypts cached answers at rest with the payload keys. @default plain */
  fields?: FieldEncryption;
  /**
   * Where calls publish their steps, streamed tokens, tool calls and answers for callers
   * that follow the task (docs/streaming.md). @default nothing is published
   */
  events?: TaskEventLog;
}

/**
 * How long a call waits for its last events to be written before it completes anyway: long
 * enough for a loaded database, short of holding the task up when it is down (a down one
 * fails sooner, at the client's server selection timeout).
 */
const EVENTS_WAIT_MS = 10_000;

/** Longest pause between two heartbeats of a running model call. */
const MAX_HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * Heartbeats while the provider request runs: on a timer until the first chunk of the
 * streamed answer arrives, then on every chunk (the SDK throttles what reaches the server).
 * A dead worker is noticed within the heartbeat timeout, and a cancellation of the activity
 * reaches it (only heartbeating activities learn of one). A stream that stalls for longer
 * than the heartbeat timeout is given up and retried. An answer that does not stream (a
 * cache hit, an endpoint with `streaming: "off"`) keeps the timer to the end.
 */
function heartbeatWhileRunning(context: Context): { chunk(): void; stop(): void } {
  const timeoutMs = context.info.heartbeatTimeoutMs;
  const intervalMs =
    timeoutMs === undefined ? MAX_HEARTBEAT_INTERVAL_MS : Math.min(MAX_HEARTBEAT_INTERVAL_MS, timeoutMs / 3);
  context.heartbeat();
  let timer: NodeJS.Timeout | undefined = setInterval(() => context.heartbeat(), Math.max(100, intervalMs));
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    chunk() {
      stop();
      context.heartbeat();
    },
    stop,
  };
}

/** The publisher of one call attempt's events, when the worker publishes any. */
function callEvents(
  log: TaskEventLog | undefined,
  info: Context['info'],
  input: ModelCallInput,
): ModelCallEvents | undefined {
  if (log === undefined || info.workflowExecution === undefined) return undefined;
  const { workflowId, runId } = info.workflowExecution;
  return new ModelCallEvents(log, { workflowId, runId, activityId: info.activityId, attempt: info.attempt }, input, {
    warn: warnInActivity,
  });
}

/** Activities that call models; they run on the model task queue. */
export function createModelActivities(dependencies: ModelActivityDependencies) {
  const cache =
    dependencies.db === undefined ? undefined : new PromptCache(dependencies.db, { fields: dependencies.fields });
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
      // The attempt that completed it published its events already.
      if (done !== undefined) return done;
      const heartbeats = heartbeatWhileRunning(context);
      const events = callEvents(dependencies.events, info, input);
      try {
        await events?.started();
        const result = await dependencies.models.complete(input, {
          signal: context.cancellationSignal,
          cache,
          onChunk: (text) => {
            heartbeats.chunk();
            events?.token(text);
          },
        });
        events?.finished(result);
        completed.set(key, result);
        return result;
      } catch (error) {
        // Reported as cancelled, not as a provider failure: the request was aborted on purpose.
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? error;
        throw error;
      } finally {
        heartbeats.stop();
        // Before the activity completes, so its events are in the log before the workflow goes on.
        if (events !== undefined) await heartbeatDuring(context, events.close(EVENTS_WAIT_MS));
      }
    },

    /** Tiers, routing rules, model views and call settings from this worker's catalog; fetched once per task. */
    async describeModels(_input: DescribeModelsInput = {}): Promise<ModelsDescription> {
      return dependencies.models.describe();
    },
  };
}
