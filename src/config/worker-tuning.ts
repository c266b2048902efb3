import { ConfigError } from './config-error';
import { integerSetting } from './integer-setting';
import { settingValue } from './setting-value';

/** How many long polls a worker keeps open: a fixed number, or scaled by the server's feedback. */
export type PollerCount = number | 'auto';

/**
 * A worker's polling and caching knobs. Unset fields take the defaults chosen by the
 * `tuning` benchmark (docs/performance.md, "Worker tuning"), which are the SDK's.
 */
export interface WorkerTuning {
  /** `CHASSIS_WORKFLOW_POLLERS`: workflow-task long polls (`auto`: autoscaling). */
  workflowPollers?: PollerCount;
  /** `CHASSIS_ACTIVITY_POLLERS`: activity-task long polls of each worker (`auto`: autoscaling). */
  activityPollers?: PollerCount;
  /** `CHASSIS_WORKFLOW_TASK_SLOTS`: workflow tasks processed at once. */
  workflowTaskSlots?: number;
  /** `CHASSIS_WORKFLOW_CACHE`: workflows kept in memory (the sticky cache); 0 replays every workflow task. */
  maxCachedWorkflows?: number;
}

function pollers(name: string, raw: string, minimum: number): PollerCount {
  if (raw.toLowerCase() === 'auto') return 'auto';
  try {
    return integerSetting(name, raw, minimum, 100, '10');
  } catch {
    throw new ConfigError(
      `${name} is invalid: ${JSON.stringify(raw)} (must be "auto" or an integer from ${minimum} to 100, e.g. 10)`,
    );
  }
}

/**
 * Reads `CHASSIS_WORKFLOW_POLLERS`, `CHASSIS_ACTIVITY_POLLERS`, `CHASSIS_WORKFLOW_TASK_SLOTS`
 * and `CHASSIS_WORKFLOW_CACHE`; only the ones set appear in the result.
 *
 * @throws {ConfigError} naming the bad variable and its allowed values
 */
export function loadWorkerTuning(environment: Record<string, string | undefined> = process.env): WorkerTuning {
  const value = (name: string) => settingValue(environment, name);
  const tuning: WorkerTuning = {};
  const workflowPollers = value('CHASSIS_WORKFLOW_POLLERS');
  // The SDK needs two workflow pollers at least: one for the sticky queue, one for the shared one.
  if (workflowPollers !== undefined) tuning.workflowPollers = pollers('CHASSIS_WORKFLOW_POLLERS', workflowPollers, 2);
  const activityPollers = value('CHASSIS_ACTIVITY_POLLERS');
  if (activityPollers !== undefined) tuning.activityPollers = pollers('CHASSIS_ACTIVITY_POLLERS', activityPollers, 1);
  const slots = value('CHASSIS_WORKFLOW_TASK_SLOTS');
  if (slots !== undefined)
    tuning.workflowTaskSlots = integerSetting('CHASSIS_WORKFLOW_TASK_SLOTS', slots, 2, 1000, '40');
  const cache = value('CHASSIS_WORKFLOW_CACHE');
  if (cache !== undefined)
    tuning.maxCachedWorkflows = integerSetting('CHASSIS_WORKFLOW_CACHE', cache, 0, 100_000, '1000');
  if (
    typeof tuning.workflowPollers === 'number' &&
    tuning.workflowTaskSlots !== undefined &&
    tuning.workflowPollers > tuning.workflowTaskSlots
  ) {
    throw new ConfigError(
      `CHASSIS_WORKFLOW_POLLERS (${tuning.workflowPollers}) is above CHASSIS_WORKFLOW_TASK_SLOTS (${tuning.workflowTaskSlots}): a poller needs a free slot, so lower the pollers or raise the slots`,
    );
  }
  return tuning;
}
