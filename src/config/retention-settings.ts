import { ConfigError } from './config-error';

/** How often the worker's Temporal Schedule runs the retention sweep; `off` creates no schedule. */
export type RetentionScheduleSetting = 'daily' | 'hourly' | 'off';

/** How long traces of past work are kept, and how the sweep that deletes them is run. */
export interface RetentionSettings {
  /**
   * `CHASSIS_RETENTION_DAYS`: claim-checked payloads, stored tool outputs, cached tool results
   * and model answers, effect-ledger entries, task events and episodes last used longer ago
   * than this are deleted, unless a workflow that is still running uses them. @default 30 days
   */
  retentionMs: number;
  /** `CHASSIS_RETENTION_SCHEDULE`. @default 'daily' */
  schedule: RetentionScheduleSetting;
}

/**
 * Thirty days: at least the retention of a Temporal namespace as usually configured (the
 * dev server keeps one day, Temporal Cloud 30 by default), so a blob outlives every history
 * that refers to it even before the sweep checks.
 */
export const DEFAULT_RETENTION_DAYS = 30;

const DAY_MS = 86_400_000;
const SCHEDULES: readonly RetentionScheduleSetting[] = ['daily', 'hourly', 'off'];

/**
 * Reads `CHASSIS_RETENTION_DAYS` (days, from 1 to 36500, fractions allowed) and
 * `CHASSIS_RETENTION_SCHEDULE` (`daily`, `hourly` or `off`).
 *
 * @throws {ConfigError} naming the variable and what it accepts
 */
export function loadRetentionSettings(environment: Record<string, string | undefined>): RetentionSettings {
  const days = environment.CHASSIS_RETENTION_DAYS?.trim();
  const schedule = environment.CHASSIS_RETENTION_SCHEDULE?.trim().toLowerCase();
  let retentionDays = DEFAULT_RETENTION_DAYS;
  if (days !== undefined && days !== '') {
    retentionDays = Number(days);
    if (!/^\d+(\.\d+)?$/.test(days) || retentionDays < 1 || retentionDays > 36_500) {
      throw new ConfigError(
        `CHASSIS_RETENTION_DAYS is invalid: ${JSON.stringify(days)} (days to keep payloads, tool outputs, caches, ledger entries, events and episodes: a number from 1 to 36500, e.g. 30)`,
      );
    }
  }
  if (schedule !== undefined && schedule !== '' && !SCHEDULES.includes(schedule as RetentionScheduleSetting)) {
    throw new ConfigError(
      `CHASSIS_RETENTION_SCHEDULE is invalid: ${JSON.stringify(environment.CHASSIS_RETENTION_SCHEDULE)} (how often the worker's schedule sweeps: ${SCHEDULES.join(', ')})`,
    );
  }
  return {
    retentionMs: Math.round(retentionDays * DAY_MS),
    schedule: schedule === undefined || schedule === '' ? 'daily' : (schedule as RetentionScheduleSetting),
  };
}
