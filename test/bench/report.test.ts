import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  historyRows,
  orchestrationRows,
  overheadRows,
  searchRows,
  throughputRows,
} from '../../bench/report/chart-data';
import { buildReport, provenance } from '../../bench/report/report-markdown';

const run = promisify(execFile);
const REPOSITORY = path.join(__dirname, '..', '..');

const MACHINE = { cpus: 2, cpuModel: 'Test CPU', platform: 'linux-x64', node: 'v20.19.0' };
const LOAD = { cpus: 2, loadAverageAtStart: 0.5, loadAverageAtEnd: 1.25 };

/** Results in the shapes the benchmarks write (only the fields the report reads, plus noise). */
const RESULTS = {
  overhead: {
    name: 'overhead',
    date: '2026-11-30T10:20:30.000Z',
    machine: MACHINE,
    load: LOAD,
    description: 'One agent task, three ways.',
    task: { longRounds: 10 },
    measurements: [
      {
        modelLatencyMs: 0,
        variants: {
          bare: { medianMs: 4 },
          plain: { medianMs: 50 },
          chassis: { medianMs: 58 },
          'chassis-long': { medianMs: 300 },
        },
        ratios: {
          chassisOverPlain: 1.16,
          chassisOverBare: 14.5,
          perExtraStep: { bareMs: 1, plainMs: 20, chassisMs: 25, chassisBeyondBareMs: 24 },
        },
      },
      { modelLatencyMs: 300, variants: { bare: { medianMs: 604 }, chassis: { medianMs: 650 } }, ratios: {} },
    ],
  },
  orchestration: {
    date: '2026-11-30T10:00:00.000Z',
    machine: MACHINE,
    machineLoad: LOAD,
    measurements: [
      {
        subtasks: 2,
        ratioOfMedians: 1.7,
        idealRatio: 1.8,
        parallel: { medianMs: 1200 },
        sequential: { medianMs: 2040 },
      },
      { subtasks: 6, ratioOfMedians: 2.6 },
    ],
  },
  throughput: {
    date: '2026-11-30T11:00:00.000Z',
    machine: MACHINE,
    load: LOAD,
    levels: [
      {
        concurrency: 1,
        tasks: 20,
        errors: 0,
        tasksPerMinute: 60,
        workerPeakBytes: 300 * 1024 * 1024,
        latency: { medianMs: 900, p95Ms: 1000 },
      },
      {
        concurrency: 1000,
        tasks: 1000,
        errors: 2,
        tasksPerMinute: 900.5,
        latency: { medianMs: 40_000, p95Ms: 60_000 },
      },
    ],
    idleSessions: {
      sessions: 1000,
      workerBytesBefore: 400 * 1024 * 1024,
      workerBytesIdle: 700 * 1024 * 1024,
      answer: { medianMs: 1100, p95Ms: 1500 },
      modelTimePerAnswerMs: 900,
      errors: 0,
    },
  },
  memory: {
    date: '2026-11-30T09:00:00.000Z',
    machine: MACHINE,
    imports: [{ size: 10_000, searches: { vector: { medianMs: 5, p95Ms: 9 }, lexical: { medianMs: 2, p95Ms: 3 } } }],
  },
  history: {
    date: '2026-11-30T09:30:00.000Z',
    machine: MACHINE,
    measurements: [
      { contextBytes: 102_400, steps: 10, ratio: 30, off: { historyBytes: 1_228_800 }, on: { historyBytes: 40_960 } },
    ],
  },
};

describe('chart data', () => {
  test('reads each benchmark’s result into chart rows', () => {
    expect(overheadRows(RESULTS.overhead)).toEqual([
      { modelLatencyMs: 0, variant: 'bare loop', medianMs: 4 },
      { modelLatencyMs: 0, variant: 'plain Temporal workflow', medianMs: 50 },
      { modelLatencyMs: 0, variant: 'Chassis', medianMs: 58 },
      { modelLatencyMs: 300, variant: 'bare loop', medianMs: 604 },
      { modelLatencyMs: 300, variant: 'Chassis', medianMs: 650 },
    ]);
    // A measurement without its ideal is left out rather than drawn at zero.
    expect(orchestrationRows(RESULTS.orchestration)).toEqual([
      { subtasks: 2, series: 'measured', speedUp: 1.7 },
      { subtasks: 2, series: 'ideal', speedUp: 1.8 },
    ]);
    expect(throughputRows(RESULTS.throughput)).toEqual([
      { concurrency: 1, tasksPerMinute: 60, workerMemoryMb: 300, errors: 0 },
      { concurrency: 1000, tasksPerMinute: 900.5, errors: 2 },
    ]);
    expect(searchRows(RESULTS.memory)).toEqual([
      { chunks: 10_000, mode: 'vector', p50Ms: 5, p95Ms: 9 },
      { chunks: 10_000, mode: 'lexical', p50Ms: 2, p95Ms: 3 },
    ]);
    expect(historyRows(RESULTS.history)).toEqual([
      { steps: 10, contextKb: 100, claimCheck: 'off', historyKb: 1200 },
      { steps: 10, contextKb: 100, claimCheck: 'on', historyKb: 40 },
    ]);
  });

  test('a file in another shape gives no rows instead of failing', () => {
    for (const read of [overheadRows, orchestrationRows, throughputRows, searchRows, historyRows]) {
      expect(read(undefined)).toEqual([]);
      expect(read({ measurements: 'not a list', levels: [null, 3], imports: [{}] })).toEqual([]);
    }
  });
});

describe('buildReport', () => {
  test('one section per benchmark with its chart, numbers and provenance; missing ones say how to measure them', () => {
    const report = buildReport(
      { overhead: RESULTS.overhead, throughput: RESULTS.throughput },
      { overhead: 'charts/overhead.svg', throughput: 'charts/throughput.svg' },
    );

    expect(report).toContain('## Overhead of the harness (`npm run bench -- overhead`)');
    expect(report).toContain('![Overhead of the harness](charts/overhead.svg)');
    expect(report).toContain('| 0 ms | 4.0 ms | 50.0 ms | 58.0 ms | — ms | — ms | 1.16x | 14.50x |');
    expect(report).toContain("Chassis 25.0 ms (24.0 ms beyond the model's and the tool's own time)");
    expect(report).toContain('| 1000 | 1000 | 2 | 900.5 | 40000 ms | 60000 ms | — | — |');
    expect(report).toContain(
      '1000 idle sessions (answered once each): worker memory 400 MiB before, 700 MiB with them idle',
    );
    expect(report).toContain('_Not measured yet: run `npm run bench -- history`._');
    expect(report).toContain('_Not measured yet: run `npm run bench -- handoffs`._');
    expect(report).toContain('_Not measured yet: run `npm run bench -- tuning`._');
  });

  test('the tuning section lists each candidate with the variables it sets', () => {
    const tuning = {
      name: 'tuning',
      rows: [
        {
          name: 'SDK defaults',
          environment: {},
          sequentialP50Ms: 150,
          tasksPerMinute: 490.5,
          concurrentP95Ms: 14_000,
          errors: 0,
          samples: [{ concurrent: { tasksPerMinute: 470.6 } }, { concurrent: { tasksPerMinute: 510.4 } }],
        },
        {
          name: 'autoscaling pollers',
          environment: { CHASSIS_WORKFLOW_POLLERS: 'auto' },
          sequentialP50Ms: 140.25,
          tasksPerMinute: 500,
          concurrentP95Ms: 13_500,
          workerPeakBytes: 600 * 1024 * 1024,
          errors: 1,
        },
      ],
    };
    const report = buildReport({ tuning }, {});
    expect(report).toContain('## Worker tuning (`npm run bench -- tuning`)');
    expect(report).toContain(
      '| SDK defaults | none (the SDK’s defaults) | 150.0 ms | 490.5 | 470.6, 510.4 | 14.0 s | — | 0 |',
    );
    expect(report).toContain(
      '| autoscaling pollers | `CHASSIS_WORKFLOW_POLLERS=auto` | 140.3 ms | 500.0 | — | 13.5 s | 600 MiB | 1 |',
    );
  });

  test('provenance names the date, the machine and the load', () => {
    expect(provenance(RESULTS.overhead)).toBe(
      'Measured 2026-11-30 10:20 UTC on 2 CPUs (Test CPU, Node v20.19.0), load average 0.50 at start and 1.25 at end.',
    );
    expect(provenance(RESULTS.orchestration)).toContain('load average 0.50 at start');
  });
});

describe('npm run bench:report', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'chassis-report-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  test('renders an SVG chart per benchmark with data and writes the report beside them', async () => {
    const results = path.join(directory, 'results');
    mkdirSync(results);
    for (const [name, result] of Object.entries(RESULTS))
      writeFileSync(path.join(results, `${name}.json`), JSON.stringify(result));
    const output = path.join(directory, 'report');

    await run(process.execPath, [path.join(REPOSITORY, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bench/report.ts'], {
      cwd: REPOSITORY,
      env: { ...process.env, CHASSIS_BENCH_RESULTS_DIR: results, CHASSIS_BENCH_REPORT_DIR: output },
    });

    for (const chart of ['overhead', 'orchestration', 'throughput', 'memory', 'history']) {
      const svg = readFileSync(path.join(output, 'charts', `${chart}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('</svg>');
    }
    // The chart carries the data: the throughput chart's axis title, the overhead chart's variants.
    expect(readFileSync(path.join(output, 'charts', 'throughput.svg'), 'utf8')).toContain('tasks per minute');
    expect(readFileSync(path.join(output, 'charts', 'overhead.svg'), 'utf8')).toContain('plain Temporal workflow');
    const report = readFileSync(path.join(output, 'report.md'), 'utf8');
    expect(report).toContain('![Parallel subtasks](charts/orchestration.svg)');
    expect(report).toContain('![History size](charts/history.svg)');
  }, 120_000);

  test('without results it says what to run and exits 2, writing nothing', async () => {
    const output = path.join(directory, 'report');
    const failure = await run(
      process.execPath,
      [path.join(REPOSITORY, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bench/report.ts'],
      {
        cwd: REPOSITORY,
        env: {
          ...process.env,
          CHASSIS_BENCH_RESULTS_DIR: path.join(directory, 'none'),
          CHASSIS_BENCH_REPORT_DIR: output,
        },
      },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(
      /^no benchmark results in .*: run "npm run bench -- overhead" \(or another\) first\n$/,
    );
    expect(existsSync(output)).toBe(false);
  }, 60_000);
});
