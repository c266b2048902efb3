import {
  chaosJsonRows,
  chaosTable,
  chaosVerdict,
  summarizeScenario,
  type ScenarioMeasurements,
} from '../../bench/chaos/report';
import { formatTable } from '../../bench/support/table';
import type { ChaosTaskOutcome } from '../../src/testing/chaos/outcomes';

function outcome(label: string, fields: Partial<ChaosTaskOutcome> = {}): ChaosTaskOutcome {
  return {
    label,
    status: 'completed',
    unknownReported: 0,
    executions: 1,
    duplicated: false,
    extraExecutions: 0,
    lost: false,
    misreported: false,
    observation: { kind: 'ok', text: 'ok' },
    modelRequests: 2,
    ...fields,
  };
}

function measurements(fields: Partial<ScenarioMeasurements> = {}): ScenarioMeasurements {
  return {
    fault: 'worker-kill',
    outcomes: [outcome('a'), outcome('b')],
    recovery: [],
    modelRequests: 12,
    embeddingRequests: 4,
    faults: { workerKills: 2, temporalKills: 0, mongoOutages: 0 },
    unexpectedWorkerExits: 0,
    durationMs: 42_000,
    ...fields,
  };
}

describe('summarizeScenario', () => {
  it('counts completed, failed, stuck, lost, duplicated, unknown and unreported tasks', () => {
    const report = summarizeScenario(
      measurements({
        outcomes: [
          outcome('completed'),
          outcome('lost', { executions: 0, lost: true }),
          outcome('twice', { executions: 2, duplicated: true, extraExecutions: 1 }),
          outcome('failed', { status: 'failed', error: 'x' }),
          outcome('budget', { status: 'budget_exceeded' }),
          outcome('stuck', { status: 'stuck', executions: 0 }),
          outcome('unknown', { unknownReported: 1, executions: 0 }),
          outcome('misreported', { misreported: true }),
        ],
      }),
    );
    expect(report).toMatchObject({
      fault: 'worker-kill',
      runs: 8,
      completed: 5,
      failed: 2,
      stuck: 1,
      lost: 1,
      duplicated: 1,
      unknown: 1,
      unreportedUnknown: 1,
      modelRequests: 12,
      recoveryP95Ms: null,
      recoveryCensored: false,
    });
  });

  it('takes the p95 of the recovery samples (linear between ranks) and says when one is a lower bound', () => {
    const samples = [1_000, 2_000, 3_000, 4_000, 100_000].map((milliseconds, index) => ({
      label: `t${index}`,
      kind: 'model' as const,
      killReason: 'random',
      milliseconds,
      whileUpMilliseconds: milliseconds / 2,
      retriedMilliseconds: milliseconds / 4,
      censored: index === 4,
    }));
    const report = summarizeScenario(measurements({ recovery: samples }));
    // Rank 0.95 × 4 = 3.8: 4 000 + 0.8 × (100 000 − 4 000).
    expect(report.recoveryP95Ms).toBe(80_800);
    expect(report.recoveryWhileUpP95Ms).toBe(40_400);
    expect(report.recoveryRetriedP95Ms).toBe(20_200);
    expect(report.recoveryCensored).toBe(true);
  });
});

describe('chaosTable', () => {
  it('prints one row per scenario with the recovery p95 in seconds, its sample count, the p95 with the infrastructure up and the p95 to the retry', () => {
    const report = summarizeScenario(
      measurements({
        recovery: [
          {
            label: 'a',
            kind: 'tool',
            killReason: 'tool-call',
            milliseconds: 30_774,
            whileUpMilliseconds: 9_600,
            retriedMilliseconds: 6_250,
            censored: false,
          },
        ],
      }),
    );
    const lines = formatTable(chaosTable([report, summarizeScenario(measurements({ fault: 'baseline' }))])).split('\n');
    expect(lines[0]).toMatch(
      /^scenario\s+tasks\s+completed\s+failed\s+stuck\s+lost\s+duplicated\s+unknown\s+unreported/,
    );
    expect(lines[2]).toMatch(
      /^worker-kill\s+2\s+2\s+0\s+0\s+0\s+0\s+0\s+0\s+12\s+30\.8 s \(1\)\s+9\.6 s\s+6\.3 s\s+42\.0 s$/,
    );
    expect(lines[3]).toMatch(/^baseline .* -\s+-\s+-\s+42\.0 s$/);
  });
});

describe('chaosVerdict', () => {
  it('passes a clean run, and warns without failing when recovery misses its target', () => {
    const slow = summarizeScenario(
      measurements({
        recovery: [
          {
            label: 'a',
            kind: 'model',
            killReason: 'model-call',
            milliseconds: 90_000,
            whileUpMilliseconds: 70_000,
            retriedMilliseconds: 8_000,
            censored: false,
          },
        ],
      }),
    );
    expect(chaosVerdict([slow])).toEqual({
      ok: true,
      problems: [],
      warnings: [
        'worker-kill: recovery p95 90.0 s is above the 15.0 s target (70.0 s of it with MongoDB and Temporal up; interrupted calls retried on a live worker after 8.0 s)',
      ],
    });
  });

  it('fails on lost, duplicated, stuck, failed or unreported outcomes, and on a scenario that did not run', () => {
    const bad = summarizeScenario(
      measurements({
        outcomes: [
          outcome('lost', { lost: true, executions: 0 }),
          outcome('twice', { duplicated: true }),
          outcome('stuck', { status: 'stuck' }),
          outcome('failed', { status: 'failed' }),
          outcome('misreported', { misreported: true }),
        ],
      }),
    );
    const broken = summarizeScenario(measurements({ fault: 'temporal-kill', error: 'the server did not start' }));
    expect(chaosVerdict([bad, broken])).toEqual({
      ok: false,
      problems: [
        'worker-kill: 1 lost effect(s), 1 duplicated effect(s), 1 stuck task(s), 1 failed task(s), 1 unreported unknown outcome(s)',
        'temporal-kill: did not run to the end: the server did not start',
      ],
      warnings: [],
    });
  });
});

describe('chaosJsonRows', () => {
  it('starts each row with the fields the issue asks for', () => {
    const [row] = chaosJsonRows([summarizeScenario(measurements())]);
    expect(Object.keys(row ?? {}).slice(0, 7)).toEqual([
      'fault',
      'runs',
      'completed',
      'lost',
      'duplicated',
      'unknown',
      'recoveryP95Ms',
    ]);
    expect(row).toMatchObject({ fault: 'worker-kill', runs: 2, completed: 2, lost: 0, duplicated: 0, unknown: 0 });
  });
});
