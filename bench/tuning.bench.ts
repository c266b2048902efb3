import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ChassisConfig } from '../src/config/load-config';
import { waitForPollers } from '../src/client/task-client';
import { WorkerProcess } from '../src/testing/chaos/worker-process';
import { startQuietScriptedModel } from '../src/testing/scripted-stack';
import { countingScript } from './support/counting-task';
import { describeBenchmarkServers } from './support/header';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { formatMegabytes } from './support/process-memory';
import { medianOf } from './support/results';
import { alternatingRounds, openBenchDatabase, progress } from './support/runner';
import { printTable } from './support/table';
import {
  measureLevel,
  numbersFrom,
  workerEnvironment,
  type Context,
  type ThroughputLevel,
} from './support/task-levels';

/**
 * `tuning`: the worker's polling and caching knobs (`CHASSIS_WORKFLOW_POLLERS`,
 * `CHASSIS_ACTIVITY_POLLERS`, `CHASSIS_WORKFLOW_TASK_SLOTS`, `CHASSIS_WORKFLOW_CACHE`),
 * compared side by side in one run, each candidate a fresh `chassis worker` process with its
 * own task queue and database. Two measurements each: one task at a time with a 0 ms model
 * (what the knobs do to the engine's hand-offs) and 100 at once with a 300 ms model (what they
 * do to throughput). Rounds alternate the order of the candidates so drift spreads over all.
 * `CHASSIS_BENCH_ROUNDS` (default 2) sets the rounds; `CHASSIS_BENCH_CANDIDATES=sdk,auto` runs
 * only those candidates (keys below).
 */

const LATENCY_TASKS = 20;
const THROUGHPUT_CONCURRENCY = 100;
const THROUGHPUT_TASKS = 200;
const THROUGHPUT_MODEL_LATENCY_MS = 300;
/** Tasks run on each new worker before anything is counted (its first workflow tasks load the bundle). */
const WARMUP_TASKS = 3;

/** One worker configuration. */
export interface TuningCandidate {
  /** Short name for `CHASSIS_BENCH_CANDIDATES`. */
  key: string;
  name: string;
  /** The worker's tuning variables; none set means the SDK's defaults. */
  environment: Record<string, string>;
}

/**
 * The SDK's defaults for a worker with no tuner: 10 workflow pollers (a fifth on the shared
 * queue, the rest on the sticky one), 10 activity pollers, 40 workflow-task slots, and a
 * sticky cache sized from the heap. Each other candidate changes one thing.
 */
export const TUNING_CANDIDATES: readonly TuningCandidate[] = [
  { key: 'sdk', name: 'SDK defaults', environment: {} },
  { key: 'two', name: '2 pollers', environment: { CHASSIS_WORKFLOW_POLLERS: '2', CHASSIS_ACTIVITY_POLLERS: '2' } },
  {
    key: 'auto',
    name: 'autoscaling pollers',
    environment: { CHASSIS_WORKFLOW_POLLERS: 'auto', CHASSIS_ACTIVITY_POLLERS: 'auto' },
  },
  {
    key: 'many',
    name: '40 pollers, 200 slots',
    environment: {
      CHASSIS_WORKFLOW_POLLERS: '40',
      CHASSIS_ACTIVITY_POLLERS: '40',
      CHASSIS_WORKFLOW_TASK_SLOTS: '200',
    },
  },
  { key: 'cache50', name: 'cache of 50', environment: { CHASSIS_WORKFLOW_CACHE: '50' } },
];

/** The candidates named by `CHASSIS_BENCH_CANDIDATES` (all when unset), in their usual order. */
function chosenCandidates(): readonly TuningCandidate[] {
  const wanted = process.env.CHASSIS_BENCH_CANDIDATES?.split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (wanted === undefined || wanted.length === 0) return TUNING_CANDIDATES;
  const unknown = wanted.filter((key) => !TUNING_CANDIDATES.some((candidate) => candidate.key === key));
  if (unknown.length > 0) {
    throw new Error(
      `CHASSIS_BENCH_CANDIDATES names unknown candidates: ${unknown.join(', ')} (known: ${TUNING_CANDIDATES.map((candidate) => candidate.key).join(', ')})`,
    );
  }
  return TUNING_CANDIDATES.filter((candidate) => wanted.includes(candidate.key));
}

/** One candidate in one round. */
export interface TuningSample {
  /** One task at a time, 0 ms model: server-side task latency. */
  sequential: ThroughputLevel;
  /** 100 at once, 300 ms model. */
  concurrent: ThroughputLevel;
}

/** One candidate over every round. */
export interface TuningRow {
  name: string;
  environment: Record<string, string>;
  /** Median over rounds of the sequential p50 latency. */
  sequentialP50Ms: number;
  /** Mean over rounds. */
  tasksPerMinute: number;
  /** Median over rounds of the concurrent p95 latency. */
  concurrentP95Ms: number;
  /** Highest worker memory seen in any round. */
  workerPeakBytes?: number;
  errors: number;
  errorSamples: string[];
  samples: TuningSample[];
}

/** What `bench/results/tuning.json` holds besides name, date and machine. */
export interface TuningResult {
  description: string;
  rounds: number;
  load: MachineLoad;
  rows: TuningRow[];
}

async function measureCandidate(
  config: ChassisConfig,
  connection: Connection,
  candidate: TuningCandidate,
): Promise<TuningSample> {
  const benchDatabase = await openBenchDatabase(config, 'tuning');
  const home = mkdtempSync(path.join(os.tmpdir(), 'chassis-bench-tuning-'));
  const server = await startQuietScriptedModel(countingScript([1], 0));
  const taskQueue = `bench-tuning-${randomUUID()}`;
  const worker = new WorkerProcess({
    name: 'tuning-worker',
    environment: {
      ...workerEnvironment(config, {
        taskQueue,
        modelUrl: server.baseURL,
        database: benchDatabase.db.databaseName,
        home,
      }),
      ...candidate.environment,
    },
    logFile: path.join(home, 'worker.log'),
    onUnexpectedExit: (description) => progress(`warning: ${description} (log: ${path.join(home, 'worker.log')})`),
  });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    worker.start();
    if (!(await waitForPollers(client, taskQueue, 180_000))) {
      throw new Error(`the worker did not poll within 3 minutes: see ${path.join(home, 'worker.log')}`);
    }
    const model = config.models.pinned ?? 'gpt-4.1-mini';
    const context: Context = { client, taskQueue, model, server, worker, modelLatencyMs: 0 };
    await measureLevel(context, 1, WARMUP_TASKS);
    const sequential = await measureLevel(context, 1, LATENCY_TASKS);
    server.setScript(countingScript([1], THROUGHPUT_MODEL_LATENCY_MS));
    const concurrent = await measureLevel(
      { ...context, modelLatencyMs: THROUGHPUT_MODEL_LATENCY_MS },
      THROUGHPUT_CONCURRENCY,
      THROUGHPUT_TASKS,
    );
    return { sequential, concurrent };
  } finally {
    await worker.dispose();
    await server.close();
    await benchDatabase.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function summarize(candidate: TuningCandidate, samples: TuningSample[]): TuningRow {
  const levels = samples.flatMap((sample) => [sample.sequential, sample.concurrent]);
  const peaks = samples
    .map((sample) => sample.concurrent.workerPeakBytes)
    .filter((bytes): bytes is number => bytes !== undefined);
  return {
    name: candidate.name,
    environment: candidate.environment,
    sequentialP50Ms: medianOf(samples.map((sample) => sample.sequential.latency.medianMs)),
    tasksPerMinute:
      Math.round(
        (samples.reduce((sum, sample) => sum + sample.concurrent.tasksPerMinute, 0) / Math.max(samples.length, 1)) * 10,
      ) / 10,
    concurrentP95Ms: medianOf(samples.map((sample) => sample.concurrent.latency.p95Ms)),
    ...(peaks.length > 0 ? { workerPeakBytes: Math.max(...peaks) } : {}),
    errors: levels.reduce((sum, level) => sum + level.errors, 0),
    errorSamples: [...new Set(levels.flatMap((level) => level.errorSamples))].slice(0, 3),
    samples,
  };
}

/** Runs the benchmark, prints its table and returns the result. */
export async function run(config: ChassisConfig): Promise<TuningResult> {
  const finishLoad = watchMachineLoad();
  const rounds = numbersFrom('CHASSIS_BENCH_ROUNDS', [2])[0] as number;
  const candidates = chosenCandidates();
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const samples = await alternatingRounds({
      sides: candidates,
      rounds,
      onRound: (position) => progress(`round ${position.index + 1} of ${rounds}`),
      run: (candidate) => {
        progress(`  ${candidate.name}…`);
        return measureCandidate(config, connection, candidate);
      },
    });
    const result: TuningResult = {
      description: `Worker tuning candidates, each a fresh chassis worker process: ${LATENCY_TASKS} tasks one at a time with a 0 ms model, then ${THROUGHPUT_TASKS} tasks ${THROUGHPUT_CONCURRENCY} at a time with a ${THROUGHPUT_MODEL_LATENCY_MS} ms model (2 model calls + 1 calculator call per task, memory on). Scripted model server (a test double).`,
      rounds,
      load: finishLoad(),
      rows: candidates.map((candidate, index) => summarize(candidate, samples[index] ?? [])),
    };
    printTuning(config, result);
    return result;
  } finally {
    await connection.close();
  }
}

function printTuning(config: ChassisConfig, result: TuningResult): void {
  const baseline = result.rows[0];
  const relative = (value: number, base: number | undefined) =>
    base === undefined || base === 0 ? '' : ` (${(value / base).toFixed(2)}x)`;
  printTable({
    title: [
      `tuning: worker knobs side by side, ${result.rounds} round(s), each candidate a fresh chassis worker process`,
      `one at a time: ${LATENCY_TASKS} tasks, 0 ms model; ${THROUGHPUT_CONCURRENCY} at once: ${THROUGHPUT_TASKS} tasks, ${THROUGHPUT_MODEL_LATENCY_MS} ms model`,
      describeBenchmarkServers(config),
      describeMachineLoad(result.load),
      '',
    ],
    headers: [
      'candidate',
      'variables',
      'one at a time: p50',
      `${THROUGHPUT_CONCURRENCY} at once: tasks/min`,
      'p95',
      'worker memory peak',
      'errors',
    ],
    rows: result.rows.map((row) => [
      row.name,
      Object.entries(row.environment)
        .map(([name, value]) => `${name.replace(/^CHASSIS_/, '')}=${value}`)
        .join(' ') || '-',
      `${row.sequentialP50Ms.toFixed(1)} ms${relative(row.sequentialP50Ms, baseline?.sequentialP50Ms)}`,
      `${row.tasksPerMinute}${relative(row.tasksPerMinute, baseline?.tasksPerMinute)}`,
      `${(row.concurrentP95Ms / 1000).toFixed(1)} s`,
      formatMegabytes(row.workerPeakBytes),
      row.errors,
    ]),
    align: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const row of result.rows.filter((entry) => entry.errorSamples.length > 0)) {
    process.stdout.write(`  errors of ${row.name}: ${row.errorSamples.join(' | ')}\n`);
  }
}
