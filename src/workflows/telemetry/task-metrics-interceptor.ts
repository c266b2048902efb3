/**
 * Not a workflow: a workflow interceptor module, bundled only when the worker serves metrics.
 * It counts finished agent tasks and subtasks by status. The workflow metric meter does not
 * emit while a workflow replays, so a task is counted once, and it issues no command, so
 * adding or removing this module never breaks replay.
 */
import {
  isCancellation,
  metricMeter,
  workflowInfo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
} from '@temporalio/workflow';

const COUNTED_WORKFLOWS = new Set(['agentTaskWorkflow', 'subtaskWorkflow']);

function statusOf(result: unknown): string {
  const status = (result as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : 'completed';
}

class TaskMetricsInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const workflowType = workflowInfo().workflowType;
    if (!COUNTED_WORKFLOWS.has(workflowType)) return next(input);
    const finished = metricMeter.createCounter(
      'chassis_tasks_finished',
      undefined,
      'Agent tasks and subtasks by status',
    );
    try {
      const result = await next(input);
      finished.add(1, { status: statusOf(result) });
      return result;
    } catch (error) {
      // Continue-as-new is not an end; agent tasks and subtasks do not use it.
      if ((error as Error | undefined)?.name !== 'ContinueAsNew') {
        finished.add(1, { status: isCancellation(error) ? 'cancelled' : 'failed' });
      }
      throw error;
    }
  }
}

/** The interceptors of this module, as the SDK's bundler expects them. */
export const interceptors = (): WorkflowInterceptors => ({ inbound: [new TaskMetricsInterceptor()] });
