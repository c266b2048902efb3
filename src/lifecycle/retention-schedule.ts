import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { RetentionSweepInput, RetentionSweepResult } from '../contracts/retention';

/** `retentionSweepWorkflow`'s signature, from its contract: lifecycle sits below the workflows it schedules. */
type RetentionSweepWorkflow = (input?: RetentionSweepInput) => Promise<RetentionSweepResult>;

/** The id of the retention schedule of a task queue (one per queue: its workers run the sweep). */
export function retentionScheduleId(taskQueue: string): string {
  return `chassis-retention-sweep-${taskQueue}`;
}

/** Options of {@link ensureRetentionSchedule}. */
export interface EnsureRetentionScheduleOptions {
  /** The queue whose workers run `retentionSweepWorkflow`. */
  taskQueue: string;
  /** How often it runs. */
  every: 'daily' | 'hourly';
}

/** What {@link ensureRetentionSchedule} found. */
export interface EnsuredRetentionSchedule {
  scheduleId: string;
  /** False when it existed already (another worker, or an earlier start, created it). */
  created: boolean;
}

/**
 * Creates the Temporal Schedule that runs `retentionSweepWorkflow` on `taskQueue`, unless it
 * exists: every worker calls this at start, and only the first creates it. An existing
 * schedule is left as it is (its interval included): delete it
 * (`temporal schedule delete --schedule-id …`) for the next worker start to create it anew.
 * Each run sweeps with the retention of the worker that runs it (`CHASSIS_RETENTION_DAYS`),
 * so changing that needs no change to the schedule.
 */
export async function ensureRetentionSchedule(
  client: Client,
  options: EnsureRetentionScheduleOptions,
): Promise<EnsuredRetentionSchedule> {
  const scheduleId = retentionScheduleId(options.taskQueue);
  try {
    await client.schedule.create<RetentionSweepWorkflow>({
      scheduleId,
      spec: { intervals: [{ every: options.every === 'hourly' ? '1 hour' : '1 day' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'retentionSweepWorkflow',
        workflowId: scheduleId,
        args: [{}],
        taskQueue: options.taskQueue,
        // A run nobody picks up (no worker on the queue any more) ends instead of waiting forever.
        workflowExecutionTimeout: '6 hours',
      },
      policies: {
        // A sweep still going when the next is due: the next is skipped, not queued.
        overlap: ScheduleOverlapPolicy.SKIP,
        // A server that was down at the due time runs the missed sweep once it is back, within a day.
        catchupWindow: '1 day',
      },
    });
    return { scheduleId, created: true };
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return { scheduleId, created: false };
    throw error;
  }
}
