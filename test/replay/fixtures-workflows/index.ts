/**
 * A deliberately NON-deterministic change of the workflows, for the replay tests: the
 * agent task now reads the model catalog before the tool definitions, without
 * `patched()`. A history recorded by the current code schedules `describeTools` first, so
 * replaying it here must fail with a DeterminismViolationError.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../../src/activities';
import type { AgentTaskInput, AgentTaskResult } from '../../../src/contracts/agent-task';
import { modelTaskQueueFor } from '../../../src/contracts/task-queues';
import { agentTaskWorkflow as currentAgentTaskWorkflow } from '../../../src/workflows/agent-task';

// Every other workflow as it is now; the local agentTaskWorkflow below takes precedence over the star export.
export * from '../../../src/workflows';

export async function agentTaskWorkflow(input: AgentTaskInput): Promise<AgentTaskResult> {
  const { describeModels } = proxyActivities<Activities>({
    startToCloseTimeout: '10 seconds',
    taskQueue: modelTaskQueueFor(workflowInfo().taskQueue),
  });
  await describeModels({});
  return currentAgentTaskWorkflow(input);
}
