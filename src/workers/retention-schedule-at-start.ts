import type { Client } from '@temporalio/client';
import type { RetentionScheduleSetting } from '../config/retention-settings';
import { ensureRetentionSchedule, retentionScheduleId } from '../lifecycle/retention-schedule';

/** Options of {@link ensureRetentionScheduleOnceReady}. */
export interface RetentionScheduleAtStartOptions {
  /** Resolves once the workers poll Temporal. */
  ready: Promise<void>;
  /** A client on the workers' connection, once there is one. */
  client: () => Client | undefined;
  taskQueue: string;
  /** `CHASSIS_RETENTION_SCHEDULE`; `off` does nothing. */
  every: RetentionScheduleSetting;
  log: (line: string) => void;
}

/**
 * Once the workers poll Temporal, makes sure the retention sweep's schedule exists for their
 * queue. Never in the worker's way: a failure is one warning line, and `chassis gc` still
 * sweeps by hand. Resolves when done (tests wait for it; the worker does not).
 */
export async function ensureRetentionScheduleOnceReady(options: RetentionScheduleAtStartOptions): Promise<void> {
  if (options.every === 'off') return;
  const every = options.every;
  try {
    await options.ready;
  } catch {
    return; // the worker did not start; it says why itself
  }
  try {
    const client = options.client();
    if (client === undefined) return;
    const { scheduleId, created } = await ensureRetentionSchedule(client, { taskQueue: options.taskQueue, every });
    if (created)
      options.log(`retention: created the schedule ${scheduleId} (a sweep ${every}; "chassis gc" sweeps now)`);
  } catch (error) {
    options.log(
      `warning: the retention schedule ${retentionScheduleId(options.taskQueue)} could not be created (${(error as Error).message.split('\n')[0]}): nothing is swept automatically until a worker creates it; run "chassis gc" by hand meanwhile`,
    );
  }
}
