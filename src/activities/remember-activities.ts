import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { StartRememberTaskInput } from '../contracts/memory';

/** The workflow that writes a finished task to memory (`src/workflows/remember-task.ts`). */
const REMEMBER_TASK_WORKFLOW = 'rememberTaskWorkflow';

/** Activities that start the memory writing of a finished task. */
export function createRememberActivities() {
  return {
    /**
     * Starts `rememberTaskWorkflow` on the task's own queue through the worker's client. A
     * task runs it as a local activity in its last workflow task and completes in that same
     * task: a child workflow start would cost one more round trip through the server (the
     * parent must see the child started before it may close), all on the user's wait for
     * the answer. An earlier attempt that started it already counts as started.
     */
    async startRememberTask(input: StartRememberTaskInput): Promise<{ started: boolean }> {
      const context = Context.current();
      try {
        await context.client.workflow.start(REMEMBER_TASK_WORKFLOW, {
          taskQueue: context.info.taskQueue,
          workflowId: input.workflowId,
          args: [input.task],
          staticSummary: 'Write the task to memory',
        });
        return { started: true };
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        throw error;
      }
    },
  };
}
