import { randomUUID } from 'node:crypto';
import {
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowFailedError,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  agentTaskStatusQuery,
  type AgentTaskInput,
  type AgentTaskResult,
  type AgentTaskStatusView,
  type UnknownOutcome,
} from '../contracts/agent-task';
import { modelTaskQueueFor } from '../contracts/task-queues';
import { ChassisGoal, ChassisStatus } from '../contracts/search-attributes';
import { rootCauseMessage } from '../shared/root-cause';
import type { agentTaskWorkflow } from '../workflows/agent-task';

/** What `chassis run --json` prints: one JSON object per task. */
export interface TaskOutcome {
  workflowId: string;
  runId: string;
  status: AgentTaskResult['status'] | 'failed' | 'running';
  answer: string | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  /** Each subtask of a decomposed task with its status and usage. */
  subtasks: {
    id: string;
    title: string;
    status: string;
    usage: { inputTokens: number; outputTokens: number; costUsd: number };
  }[];
  error?: string;
  /** Calls with side effects that may or may not have taken effect; absent when none. */
  unknownOutcomes?: UnknownOutcome[];
}

function usageTotals(usage: { inputTokens: number; outputTokens: number; costUsd: number }) {
  return { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: usage.costUsd };
}

/**
 * A unique workflow id, `task-<16 hex>`, with nothing of the goal in it. Ids are never
 * encrypted: they are in Temporal's visibility store, logs, URLs, shell history and the
 * `workflowId` fields of stored documents, so they carry no user text whether or not
 * payloads are encrypted (one rule, not two). The goal is in the task's summary, which is
 * a payload: readable in the UI, or through the codec server when encrypted.
 */
export function taskWorkflowId(): string {
  return `task-${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** True when at least one worker polls the task queue for workflows and for model calls. */
export async function workersArePolling(client: Client, taskQueue: string): Promise<boolean> {
  const describe = async (name: string, type: temporal.api.enums.v1.TaskQueueType) => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    return (response.pollers ?? []).length > 0;
  };
  const [workflows, models] = await Promise.all([
    describe(taskQueue, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(modelTaskQueueFor(taskQueue), temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return workflows && models;
}

/**
 * Waits up to `timeoutMs` for workers to poll the task queue. A worker that has just
 * started needs a moment before the server lists it as a poller.
 */
export async function waitForPollers(client: Client, taskQueue: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await workersArePolling(client, taskQueue)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts an agent task with a short summary for the Temporal UI. */
export async function startTask(
  client: Client,
  input: AgentTaskInput,
  options: {
    taskQueue: string;
    workflowId?: string;
    encrypted?: boolean;
    /** Ask for eager start: only with a client on an in-process worker's connection. @default false */
    eagerStart?: boolean;
  },
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof agentTaskWorkflow>> {
  const goalLine = input.goal.replace(/\s+/g, ' ').trim();
  return client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId ?? taskWorkflowId(),
    args: [input],
    staticSummary: `Agent task: ${goalLine.length > 120 ? `${goalLine.slice(0, 117)}...` : goalLine}`,
    staticDetails: `Goal:\n\n${input.goal}\n\nModel: ${input.model ?? 'routed by the model catalog'}`,
    typedSearchAttributes: [
      { key: ChassisStatus, value: 'running' },
      // Search attributes are not encoded by the payload codecs: no goal text when payloads are encrypted.
      ...(options.encrypted ? [] : [{ key: ChassisGoal, value: goalLine.slice(0, 200) }]),
    ],
    ...(options.eagerStart ? { requestEagerStart: true } : {}),
  });
}

/** Reads a running task's progress through its `status` query. */
export function queryStatus(handle: WorkflowHandle): Promise<AgentTaskStatusView> {
  return handle.query(agentTaskStatusQuery);
}

/**
 * Waits for a task's result, calling `onProgress` when its phase or step changes. A failed
 * workflow becomes a `failed` outcome with the root cause's message, not an exception.
 */
export async function waitForTask(
  handle: WorkflowHandleWithFirstExecutionRunId<typeof agentTaskWorkflow>,
  onProgress: (view: AgentTaskStatusView) => void,
  pollIntervalMs = 500,
): Promise<TaskOutcome> {
  const runId = handle.firstExecutionRunId;
  let lastKey = '';
  let done = false;
  const poller = (async () => {
    while (!done) {
      try {
        const view = await queryStatus(handle);
        const key = `${view.phase}/${view.step}`;
        if (key !== lastKey) {
          lastKey = key;
          onProgress(view);
        }
      } catch {
        // A query can fail while the first workflow task is pending; the next poll retries.
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
  })();
  try {
    return await taskOutcome(handle, runId);
  } finally {
    done = true;
    await poller;
  }
}

/**
 * Waits for a task's result and says how it ended, as `chassis run --json` prints it. A
 * failed workflow becomes a `failed` outcome with the root cause's message, not an exception.
 *
 * @param runId the run the outcome names (the first run of the task)
 */
export async function taskOutcome(
  handle: WorkflowHandle<typeof agentTaskWorkflow>,
  runId: string,
): Promise<TaskOutcome> {
  try {
    const result = await handle.result();
    return {
      workflowId: handle.workflowId,
      runId,
      status: result.status,
      answer: result.answer,
      usage: usageTotals(result.usage),
      subtasks: result.subtasks.map((subtask) => ({
        id: subtask.id,
        title: subtask.title,
        status: subtask.status,
        usage: usageTotals(subtask.usage),
      })),
      ...(result.unknownOutcomes === undefined ? {} : { unknownOutcomes: result.unknownOutcomes }),
      // A task that completed without a usable answer says why, like a failed workflow.
      ...(result.status === 'failed' ? { error: result.failure?.message ?? result.answer } : {}),
    };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return {
      workflowId: handle.workflowId,
      runId,
      status: 'failed',
      answer: null,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      subtasks: [],
      error: rootCauseMessage(error),
    };
  }
}
