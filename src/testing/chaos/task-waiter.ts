import type { Client } from '@temporalio/client';
import { rootCauseMessage } from '../../shared/root-cause';
import type { AgentTaskResult } from '../../contracts/agent-task';
import { unknownOutcomesOf, type ChaosTaskResult } from './outcomes';

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Waits for a chaos task's result through a Temporal outage: a failed workflow is a
 * `failed` result, an unreachable server is asked again every second, and `giveUp()`
 * turning true (the deadline passed, the run is over) makes it `stuck`.
 */
export async function awaitTaskResult(
  client: Client,
  task: { label: string; workflowId: string },
  giveUp: () => boolean,
): Promise<ChaosTaskResult> {
  let pending: Promise<AgentTaskResult> | undefined;
  for (;;) {
    if (giveUp()) return { label: task.label, status: 'stuck', unknownReported: 0 };
    if (pending === undefined) {
      pending = client.workflow.getHandle(task.workflowId).result() as Promise<AgentTaskResult>;
      // A result that arrives after the task was given up on is of no interest.
      pending.catch(() => undefined);
    }
    const outcome = await Promise.race([
      pending.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      sleep(1_000).then(() => undefined),
    ]);
    if (outcome === undefined) continue;
    if ('value' in outcome) {
      return { label: task.label, status: outcome.value.status, unknownReported: unknownOutcomesOf(outcome.value) };
    }
    const error = outcome.error as Error;
    if (error?.name === 'WorkflowFailedError') {
      return { label: task.label, status: 'failed', unknownReported: 0, error: rootCauseMessage(error) };
    }
    // Temporal unreachable (a scenario may be killing it): ask again.
    pending = undefined;
    await sleep(1_000);
  }
}
