import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { modelTaskQueueFor } from '../../contracts/task-queues';
import type { InterruptedCall } from './recovery';

/** Identities of the workers polling a Chassis task queue: its workflow queue and its model-call queue. */
export async function pollerIdentities(
  client: Client,
  taskQueue: string,
): Promise<{ workflows: string[]; models: string[] }> {
  const describe = async (name: string, type: proto.api.enums.v1.TaskQueueType) => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    return (response.pollers ?? []).map((poller) => poller.identity ?? '');
  };
  const [workflows, models] = await Promise.all([
    describe(taskQueue, proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    describe(modelTaskQueueFor(taskQueue), proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  ]);
  return { workflows, models };
}

/** True when the worker process `pid` polls both queues under the SDK's default identity `<pid>@<host>`. */
export function pollsBoth(identities: { workflows: string[]; models: string[] }, pid: number): boolean {
  const mine = (identity: string) => identity.startsWith(`${pid}@`);
  return identities.workflows.some(mine) && identities.models.some(mine);
}

/**
 * Activities of these tasks that Temporal lists as started by worker process `pid`: the
 * engine's view of what a kill of that worker interrupts, which also sees calls that have
 * not reached the model server or the MCP server yet.
 */
export async function activitiesStartedOn(
  client: Client,
  tasks: readonly { label: string; workflowId: string }[],
  pid: number,
): Promise<InterruptedCall[]> {
  const lists = await Promise.all(
    tasks.map(async (task) => {
      const description = await client.workflowService.describeWorkflowExecution({
        namespace: client.options.namespace,
        execution: { workflowId: task.workflowId },
      });
      return (description.pendingActivities ?? [])
        .filter(
          (activity) =>
            activity.state === proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
            (activity.lastWorkerIdentity ?? '').startsWith(`${pid}@`),
        )
        .map((activity): InterruptedCall => {
          const name = activity.activityType?.name ?? '';
          return { label: task.label, kind: name === 'callModel' ? 'model' : name === 'callTool' ? 'tool' : 'other' };
        });
    }),
  );
  return lists.flat();
}

/**
 * When the earliest of these pending activities was started after `killedAt` by a worker
 * process other than `killedPid`: the killed worker's work taken up again. `undefined` while
 * none is (still waiting for the heartbeat timeout, in backoff, or no live worker polls).
 */
export function startedElsewhereAfter(
  activities: readonly proto.api.workflow.v1.IPendingActivityInfo[],
  killedPid: number,
  killedAt: number,
): number | undefined {
  let first: number | undefined;
  for (const activity of activities) {
    const identity = activity.lastWorkerIdentity ?? '';
    if (activity.state !== proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED) continue;
    if (identity === '' || identity.startsWith(`${killedPid}@`)) continue;
    const startedAt = optionalTsToMs(activity.lastStartedTime);
    if (startedAt === undefined || startedAt <= killedAt) continue;
    if (first === undefined || startedAt < first) first = startedAt;
  }
  return first;
}
