import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RetentionSweepInput, RetentionSweepResult } from '../contracts/retention';
import { retentionSweep } from './activity-options';

const { sweepRetention } = proxyActivities<Activities>(retentionSweep);

/**
 * Deletes what past work left in MongoDB and nothing needs any more (see `sweepRetention`).
 * Started by the worker's Temporal Schedule (daily by default) and by nobody else; `chassis
 * gc` runs the same sweep by hand, without a workflow. A workflow of its own, not a timer
 * loop, so each run is one short history and the schedule's overlap policy skips a run
 * while the previous one is still going.
 */
export async function retentionSweepWorkflow(input: RetentionSweepInput = {}): Promise<RetentionSweepResult> {
  return sweepRetention(input);
}
