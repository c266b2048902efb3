import { ConfigError } from './config-error';

/** How long task event streams are kept. */
export interface EventSettings {
  /** Streams are deleted this long after their last event (`CHASSIS_EVENT_RETENTION_HOURS`). */
  retentionMs: number;
}

/** A day: long enough to reconnect to any running task, short enough to keep the log small. */
export const DEFAULT_EVENT_RETENTION_HOURS = 24;

/**
 * Reads `CHASSIS_EVENT_RETENTION_HOURS` (hours, at least 0.01, at most a year).
 *
 * @throws {ConfigError} naming the variable when it is not such a number
 */
export function loadEventSettings(environment: Record<string, string | undefined>): EventSettings {
  const value = environment.CHASSIS_EVENT_RETENTION_HOURS;
  if (value === undefined || value === '') return { retentionMs: DEFAULT_EVENT_RETENTION_HOURS * 3_600_000 };
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours < 0.01 || hours > 8_760) {
    throw new ConfigError(
      `CHASSIS_EVENT_RETENTION_HOURS is invalid: ${JSON.stringify(value)} (hours to keep task event streams, e.g. 24)`,
    );
  }
  return { retentionMs: Math.round(hours * 3_600_000) };
}
