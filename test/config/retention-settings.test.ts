import { ConfigError } from '../../src/config/config-error';
import { loadConfig } from '../../src/config/load-config';
import { DEFAULT_RETENTION_DAYS, loadRetentionSettings } from '../../src/config/retention-settings';

const DAY = 86_400_000;

describe('retention settings', () => {
  test('default: 30 days, swept daily; the config carries them', () => {
    expect(DEFAULT_RETENTION_DAYS).toBe(30);
    expect(loadRetentionSettings({})).toEqual({ retentionMs: 30 * DAY, schedule: 'daily' });
    expect(loadConfig({}, '/project').retention).toEqual({ retentionMs: 30 * DAY, schedule: 'daily' });
  });

  test('reads CHASSIS_RETENTION_DAYS (fractions too) and CHASSIS_RETENTION_SCHEDULE', () => {
    expect(loadRetentionSettings({ CHASSIS_RETENTION_DAYS: '90', CHASSIS_RETENTION_SCHEDULE: 'hourly' })).toEqual({
      retentionMs: 90 * DAY,
      schedule: 'hourly',
    });
    expect(loadRetentionSettings({ CHASSIS_RETENTION_DAYS: '1.5', CHASSIS_RETENTION_SCHEDULE: 'OFF' })).toEqual({
      retentionMs: 1.5 * DAY,
      schedule: 'off',
    });
    expect(loadRetentionSettings({ CHASSIS_RETENTION_DAYS: '', CHASSIS_RETENTION_SCHEDULE: '' })).toEqual({
      retentionMs: 30 * DAY,
      schedule: 'daily',
    });
  });

  test.each(['0', '0.5', '-3', '30d', 'abc', '36501', '1e3'])(
    'CHASSIS_RETENTION_DAYS=%s is one clear error',
    (value) => {
      expect(() => loadRetentionSettings({ CHASSIS_RETENTION_DAYS: value })).toThrow(ConfigError);
      expect(() => loadRetentionSettings({ CHASSIS_RETENTION_DAYS: value })).toThrow(
        `CHASSIS_RETENTION_DAYS is invalid: "${value}" (days to keep`,
      );
    },
  );

  test('an unknown schedule is one clear error, and loadConfig reports it', () => {
    expect(() => loadRetentionSettings({ CHASSIS_RETENTION_SCHEDULE: 'weekly' })).toThrow(
      'CHASSIS_RETENTION_SCHEDULE is invalid: "weekly" (how often the worker\'s schedule sweeps: daily, hourly, off)',
    );
    expect(() => loadConfig({ CHASSIS_RETENTION_DAYS: 'forever' }, '/project')).toThrow(ConfigError);
  });
});
