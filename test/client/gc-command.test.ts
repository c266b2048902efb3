import { CliError } from '../../src/client/cli-error';
import { formatSweep, parseOlderThan } from '../../src/client/commands/gc';
import { RETENTION_COLLECTIONS, type RetentionSweepResult } from '../../src/contracts/retention';

describe('chassis gc: durations and the table', () => {
  test('--older-than takes a number (fractions too) and a unit m, h, d or w', () => {
    expect(parseOlderThan('90m')).toBe(90 * 60_000);
    expect(parseOlderThan('12h')).toBe(12 * 3_600_000);
    expect(parseOlderThan(' 30D ')).toBe(30 * 86_400_000);
    expect(parseOlderThan('2w')).toBe(14 * 86_400_000);
    expect(parseOlderThan('1.5d')).toBe(36 * 3_600_000);
    for (const bad of ['', '30', 'd', '30s', '0h', '1e3d', '3 days']) {
      expect(() => parseOlderThan(bad)).toThrow(CliError);
    }
  });

  test('the table has one row per collection and a total; a dry run says so', () => {
    const collections = Object.fromEntries(
      RETENTION_COLLECTIONS.map((name, index) => [name, { deleted: index, keptInUse: 1 }]),
    ) as RetentionSweepResult['collections'];
    const result: RetentionSweepResult = { cutoff: '2030-01-01T00:00:00.000Z', dryRun: true, collections };
    const lines = formatSweep(result, 30 * 86_400_000);
    expect(lines[0]).toBe(
      'Dry run, nothing deleted: what was last used before 2030-01-01T00:00:00.000Z (older than 30d) and no running workflow needs',
    );
    expect(lines[2]).toMatch(/^collection\s+would delete\s+kept \(in use\)$/);
    expect(lines.slice(3, -1).map((line) => line.split(/\s+/)[0])).toEqual([...RETENTION_COLLECTIONS]);
    expect(lines.at(-1)).toMatch(/^total\s+36\s+9$/);
  });
});
