import type { WorkerOptions } from '@temporalio/worker';
import type { PollerCount, WorkerTuning } from '../config/worker-tuning';

type PollingOptions = Pick<
  WorkerOptions,
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxCachedWorkflows'
>;

function behavior(count: PollerCount, slots?: number): NonNullable<WorkerOptions['activityTaskPollerBehavior']> {
  if (count === 'auto') return { type: 'autoscaling' };
  // The SDK refuses more pollers than slots: a poll needs a free slot to put its task in.
  return { type: 'simple-maximum', maximum: slots === undefined ? count : Math.min(count, slots) };
}

/**
 * The SDK options of the workflow worker (workflows, tools, memory) for `tuning`; only
 * what is set, since the SDK rejects an explicit `undefined` in place of its default.
 */
export function workflowWorkerTuning(tuning: WorkerTuning = {}): PollingOptions {
  return {
    ...(tuning.workflowPollers === undefined
      ? {}
      : { workflowTaskPollerBehavior: behavior(tuning.workflowPollers, tuning.workflowTaskSlots) }),
    ...(tuning.activityPollers === undefined ? {} : { activityTaskPollerBehavior: behavior(tuning.activityPollers) }),
    ...(tuning.workflowTaskSlots === undefined
      ? {}
      : { maxConcurrentWorkflowTaskExecutions: tuning.workflowTaskSlots }),
    ...(tuning.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: tuning.maxCachedWorkflows }),
  };
}

/** The SDK options of the model worker (activities only, `slots` calls at once) for `tuning`. */
export function modelWorkerTuning(tuning: WorkerTuning = {}, slots: number): PollingOptions {
  return tuning.activityPollers === undefined
    ? {}
    : { activityTaskPollerBehavior: behavior(tuning.activityPollers, slots) };
}
