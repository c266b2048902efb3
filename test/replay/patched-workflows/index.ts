/**
 * The same change as `../fixtures-workflows`, made safely with the SDK's patching API
 * (CONTRIBUTING.md, "Change a workflow safely"): new runs read the model catalog first; runs recorded before the
 * change replay as they were, because their histories carry no `describe-models-first` marker.
 */
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../../src/activities';
import type { AgentTaskInput, AgentTaskResult } from '../../../src/contracts/agent-task';
import { modelTaskQueueFor } from '../../../src/contracts/task-queues';
import { agentTaskWorkflow as currentAgentTaskWorkflow } from '../../../src/workflows/agent-task';

// Every other workflow as it is now; the local agentTaskWorkflow below takes precedence over the star export.
export * from '../../../src/workflows';

export async function agentTaskWorkflow(input: AgentTaskInput): Promise<AgentTaskResult> {
  if (patched('describe-models-first')) {
    const { describeModels } = proxyActivities<Activities>({
      startToCloseTimeout: '10 seconds',
      taskQueue: modelTaskQueueFor(workflowInfo().taskQueue),
    });
    await describeModels({});
  }
  return currentAgentTaskWorkflow(input);
}
