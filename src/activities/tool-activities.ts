import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MongoError, type Db } from 'mongodb';
import { isInfrastructureUnavailableError } from '../resilience/infrastructure-retry';
import type { FieldEncryption } from '../codec/field-encryption';
import type { ToolCallInput } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ToolDescriptor } from '../contracts/tools';
import type { KeyedCircuitBreaker } from '../resilience/keyed-circuit-breaker';
import type { ToolRegistry } from '../tools/registry';
import { isOpenOutcomeError, isPermanentToolError, isTransientToolError } from '../tools/tool-errors';
import type { ToolRunResult } from '../tools/tool-result';
import { DEFAULT_OUTAGE_BUDGET_MS, ToolRunner, type ToolRunnerOptions } from '../tools/tool-runner';
import type { TaskEventLog } from '../events/task-event-log';
import { publishToolResult } from '../events/tool-result-events';
import { heartbeatDuring } from './heartbeat-during';

/** Input of `describeTools`. */
export interface DescribeToolsInput {
  /** @default every registered tool */
  names?: string[];
}

/** Result of `describeTools`: each tool's model-facing definition plus its policy. */
export interface DescribeToolsResult {
  /** Descriptors are a superset of `ToolDefinition`, so they can be passed to the model as they are. */
  tools: ToolDescriptor[];
}

/** What the tool activities need; built once per worker process. */
export interface ToolActivityDependencies {
  tools: ToolRegistry;
  /**
   * Result cache, stored long outputs and outcomes of side effects. Without it tools run
   * uncached, long outputs are cut, and non-idempotent tools have no retry protection.
   */
  db?: Db;
  /** The breaker shared by this worker's tool calls. @default `createToolBreaker()`: 5 consecutive failures, cool-down 30 s */
  toolBreakers?: KeyedCircuitBreaker;
  /** Time source of the cache and ledger. @default `() => new Date()` */
  clock?: () => Date;
  /** Ledger tuning (tests shorten the lease). */
  toolLedger?: ToolRunnerOptions['ledger'];
  /** Where tool results are published for callers that follow the task. @default nothing is published */
  events?: TaskEventLog;
  /**
   * Encryption at rest of tool outputs, cached results and ledger outcomes (and of cached
   * model answers and memory), with the payload keys. @default plain
   */
  fields?: FieldEncryption;
  /**
   * How long one tool call waits inside its activity for MongoDB before failing with
   * `Infra.Unavailable` (`CHASSIS_OUTAGE_BUDGET_MS`); sent to the workflow in each
   * descriptor's policy, which adds it to the activity's start-to-close timeout.
   * @default 300_000
   */
  outageBudgetMs?: number;
}

/** Activities that run tools; thin adapters over the registry and the runner. */
export function createToolActivities(dependencies: ToolActivityDependencies) {
  const outageBudgetMs = dependencies.outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS;
  // One runner per worker: its circuit breakers must see every call of this process.
  const runner = new ToolRunner({
    registry: dependencies.tools,
    db: dependencies.db,
    breakers: dependencies.toolBreakers,
    now: dependencies.clock,
    ledger: dependencies.toolLedger,
    fields: dependencies.fields,
    outageBudgetMs,
    warn: activityWarning,
  });
  return {
    /** Model-facing definitions and policies of the tools a task may use. */
    async describeTools(input: DescribeToolsInput): Promise<DescribeToolsResult> {
      try {
        const tools = dependencies.tools.descriptors(input.names);
        return { tools: tools.map((tool) => ({ ...tool, policy: { ...tool.policy, outageBudgetMs } })) };
      } catch (error) {
        if (isPermanentToolError(error)) {
          throw ApplicationFailure.create({
            type: FailureType.TaskInvalidInput,
            message: error.message,
            nonRetryable: true,
          });
        }
        throw error;
      }
    },

    /**
     * Runs one tool call. Observations the model can act on are returned (including
     * `Tool.CircuitOpen` when the tool's breaker is open and `Tool.OutcomeUnknown` for a
     * side effect an earlier attempt left unresolved); anything thrown is retried by the
     * engine under the tool's retry policy, and after the last attempt the workflow reports
     * the failure to the model or hands over to the fallback, except `Infra.Unavailable`
     * (MongoDB down for the whole outage budget), which the workflow never shows the model.
     */
    async callTool(input: ToolCallInput): Promise<ToolRunResult> {
      const context = Context.current();
      let result: ToolRunResult;
      try {
        result = await runner.run(
          input.call,
          {
            idempotencyKey: input.idempotencyKey,
            signal: context.cancellationSignal,
            // A local activity (a pure, fast tool) cannot heartbeat: the SDK warns on every try.
            heartbeat: context.info.isLocal ? () => undefined : (details) => context.heartbeat(details),
            workflowId: context.info.workflowExecution?.workflowId,
          },
          {
            cancelRequested: explicitCancellation(context.cancellationSignal),
            resolvingOpenOutcome: input.resolvingOpenOutcome === true,
          },
        );
      } catch (error) {
        throw toolFailure(error, input.call.name, context.info.attempt);
      }
      await heartbeatDuring(context, publishResult(dependencies.events, context.info, result));
      return result;
    },
  };
}

/** Publishes a tool call's result for followers of its task (never fails the call). */
async function publishResult(log: TaskEventLog | undefined, info: Context['info'], result: ToolRunResult) {
  if (log === undefined || info.workflowExecution === undefined) return;
  await publishToolResult(log, { workflowId: info.workflowExecution.workflowId, attempt: info.attempt }, result, {
    warn: activityWarning,
    // As for model calls: long enough for a loaded database, short of holding the task up.
    waitMs: 10_000,
  });
}

/** The retryable failure a thrown tool error becomes; `Retry-After` becomes the next retry delay. */
function toolFailure(error: unknown, tool: string, attempt: number): ApplicationFailure {
  const message = (error as Error).message;
  if (isInfrastructureUnavailableError(error)) {
    // Retryable: the next attempt waits another budget; the workflow fails the task (with
    // how to resume it) only after the engine's attempts, never telling the model the tool failed.
    return ApplicationFailure.create({
      type: FailureType.InfraUnavailable,
      message: `tool ${tool} (attempt ${attempt}): ${message}`,
      nonRetryable: false,
      details: [{ system: error.system, waitedMs: error.waitedMs }],
    });
  }
  if (error instanceof MongoError) {
    return ApplicationFailure.create({
      type: FailureType.MemoryUnavailable,
      message: `tool ${tool}: MongoDB failed (attempt ${attempt}): ${message}`,
      nonRetryable: false,
    });
  }
  const retryAfterMs = isTransientToolError(error) ? error.retryAfterMs : undefined;
  return ApplicationFailure.create({
    type: isOpenOutcomeError(error) ? FailureType.ToolOutcomeOpen : FailureType.ToolTransient,
    message: `tool ${tool} failed (attempt ${attempt}): ${message}`,
    nonRetryable: false,
    ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
  });
}

/** Warnings go to the activity's logger (with workflow and activity ids) when there is one. */
function activityWarning(message: string): void {
  try {
    log.warn(message);
  } catch {
    console.warn(message); // called outside an activity's context
  }
}

/**
 * Why the SDK aborts an activity's signal: the reason's message is the core's cancel reason.
 * `TIMED_OUT` and `NOT_FOUND` mean the server gave up on this attempt (a missed heartbeat, a
 * server restart) and may have started another, not that anyone wants the call stopped.
 */
const SUPERSEDED_ATTEMPT_REASONS = new Set(['TIMED_OUT', 'NOT_FOUND']);

/** A signal that follows `signal` except when only this attempt was superseded. */
export function explicitCancellation(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const follow = () => {
    const reason = (signal.reason as Error | undefined)?.message;
    if (reason === undefined || !SUPERSEDED_ATTEMPT_REASONS.has(reason)) controller.abort(signal.reason);
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return controller.signal;
}
