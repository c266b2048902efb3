import type { ScheduleHandle } from '@temporalio/client';

/**
 * Triggers a schedule now and returns the workflow id of the run it started, polling the
 * schedule's recent actions (the trigger returns before the run exists).
 */
export async function triggerScheduleRun(handle: ScheduleHandle): Promise<string> {
  await handle.trigger();
  for (let attempt = 0; attempt <= 100; attempt++) {
    const workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
    if (workflowId !== undefined) return workflowId;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the schedule did not start a run');
}
