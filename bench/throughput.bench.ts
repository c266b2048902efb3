import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ChassisConfig } from '../src/config/load-config';
import { sessionWorkflowId } from '../src/contracts/session';
import { sendToSession } from '../src/client/session-client';
import { waitForPollers } from '../src/client/task-client';
import { WorkerProcess } from '../src/testing/chaos/worker-process';
import { startQuietScriptedModel } from '../src/testing/scripted-stack';
import {
  CLIENT_PARALLELISM,
  inParallel,
  measureLevel,
  numbersFrom,
  outcomeOf,
  startTask,
  workerEnvironment,
  type Context,
  type ThroughputLevel,
} from './support/task-levels';
import { countingAnswer, countingGoal, countingScript } from './support/counting-task';
import { benchmarkMongoLocation, describeBenchmarkServers } from './support/header';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { formatMegabytes, residentBytes } from './support/process-memory';
import { summarizeSamples, type SampleSummary } from './support/results';
import { openBenchDatabase, progress } from './support/runner';
import { printTable } from './support/table';

/**
 * `throughput`: how many agent tasks one worker process completes, and what it holds in
 * memory, as concurrency grows; what a thousand idle sessions cost it; how long it takes to
 * recover from a kill. The worker is a real `chassis worker` child process (its memory is
 * read from /proc), against the configured Temporal server and MongoDB, with memory on; the
 * model is the scripted server in this process (a test double, 300 ms per call).
 *
 * Levels run closed-loop: `concurrency` tasks are kept in flight until the level's tasks are
 * done. Task latencies are the server's (start → close time); tasks per minute the client's
 * wall time. Settings for shorter runs: `CHASSIS_BENCH_LEVELS=1,10`,
 * `CHASSIS_BENCH_IDLE_SESSIONS=100` (0: none).
 */

const MODEL_LATENCY_MS = 300;
const DEFAULT_LEVELS = [1, 10, 100, 1000];
const DEFAULT_IDLE_SESSIONS = 1000;
/** Messages sent to idle sessions, one at a time, after all of them went quiet. */
const IDLE_PROBES = 10;
/** Tasks in flight when the worker is killed; long enough (10 rounds) to be mid-way at the kill. */
const RECOVERY_TASKS = 20;
const RECOVERY_ROUNDS = 10;
const RECOVERY_KILL_AFTER_MS = 2_000;

/** A thousand (or `CHASSIS_BENCH_IDLE_SESSIONS`) sessions answered once each, then idle. */
export interface IdleSessionsResult {
  sessions: number;
  setupMs: number;
  errors: number;
  workerBytesBefore?: number;
  workerBytesIdle?: number;
  /** Time for a message to an idle session to be answered (update round trip), model time included. */
  answer: SampleSummary;
  /** The model's own share of each answer: the calls a turn makes × the scripted latency. */
  modelTimePerAnswerMs: number;
}

/** A worker killed with SIGKILL while tasks run, and a new one started at once. */
export interface RecoveryResult {
  tasks: number;
  rounds: number;
  /** All tasks undisturbed: start → last done. */
  undisturbedMs: number;
  /** The same with a kill `killAfterMs` in: start → last done. */
  disturbedMs: number;
  killAfterMs: number;
  /** Kill → the new worker polling the task queue (process start, connections, workflow bundle). */
  workerBackMs: number;
  /** Kill → every task done. */
  killToDoneMs: number;
  /** What the kill cost in all: disturbed − undisturbed. */
  recoveryMs: number;
  errors: number;
}

/** What `bench/results/throughput.json` holds besides name, date and machine. */
export interface ThroughputResult {
  description: string;
  modelLatencyMs: number;
  temporalAddress: string;
  mongo: string;
  load: MachineLoad;
  levels: ThroughputLevel[];
  idleSessions?: IdleSessionsResult;
  recovery?: RecoveryResult;
}

async function measureIdleSessions(context: Context, count: number): Promise<IdleSessionsResult> {
  progress(`${count} sessions: one message each, then idle…`);
  // Quick answers while the sessions are set up; the probes below use the usual latency.
  context.server.setScript(countingScript([1, RECOVERY_ROUNDS], 0));
  const workerBytesBefore = residentBytes(context.worker.pid() ?? -1);
  const ids = Array.from({ length: count }, (_, index) => `bench-idle-${randomUUID().slice(0, 8)}-${index}`);
  let errors = 0;
  const setupStarted = performance.now();
  await inParallel(ids, CLIENT_PARALLELISM, async (sessionId) => {
    const reply = await sendToSession(context.client, sessionId, countingGoal(1), {
      taskQueue: context.taskQueue,
      input: { model: context.model },
    }).catch(() => undefined);
    if (reply?.answer !== countingAnswer(1)) errors++;
  });
  const setupMs = performance.now() - setupStarted;
  // Let the memory writes of the turns finish, and the worker settle, before reading its memory.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const workerBytesIdle = residentBytes(context.worker.pid() ?? -1);
  context.server.setScript(countingScript([1, RECOVERY_ROUNDS], MODEL_LATENCY_MS));
  const samples: number[] = [];
  // The oldest sessions first: the likeliest to have left the worker's cache.
  for (const sessionId of ids.slice(0, IDLE_PROBES)) {
    const startedAt = performance.now();
    const reply = await sendToSession(context.client, sessionId, countingGoal(1), {
      taskQueue: context.taskQueue,
      input: { model: context.model },
    });
    samples.push(performance.now() - startedAt);
    if (reply.answer !== countingAnswer(1)) errors++;
  }
  progress(`terminating the ${count} sessions…`);
  await inParallel(ids, CLIENT_PARALLELISM, async (sessionId) => {
    await context.client.workflow
      .getHandle(sessionWorkflowId(sessionId))
      .terminate('benchmark over')
      .catch(() => undefined);
  });
  return {
    sessions: count,
    setupMs: Math.round(setupMs),
    errors,
    workerBytesBefore,
    workerBytesIdle,
    answer: summarizeSamples(samples),
    // A turn: the planner, a calculator call and the answer.
    modelTimePerAnswerMs: 3 * MODEL_LATENCY_MS,
  };
}

async function runBatch(
  context: Context,
  prefix: string,
): Promise<{ handles: WorkflowHandle[]; done: Promise<string[]> }> {
  const handles = await Promise.all(
    Array.from({ length: RECOVERY_TASKS }, () => startTask(context, prefix, RECOVERY_ROUNDS)),
  );
  const done = Promise.all(handles.map((handle) => outcomeOf(handle, RECOVERY_ROUNDS))).then((outcomes) =>
    outcomes.filter((outcome): outcome is string => outcome !== undefined),
  );
  return { handles, done };
}

/** Waits until a worker of process `pid` (identity `<pid>@<host>`) polls the task queue for workflow tasks. */
async function waitForPollerOf(context: Context, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await context.client.workflowService.describeTaskQueue({
      namespace: context.client.options.namespace,
      taskQueue: { name: context.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((response.pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`worker process ${pid} did not poll within ${timeoutMs / 1000} s: see its log`);
}

async function measureRecovery(context: Context): Promise<RecoveryResult> {
  progress(`recovery: ${RECOVERY_TASKS} tasks of ${RECOVERY_ROUNDS} rounds, undisturbed…`);
  let startedAt = performance.now();
  const calm = await runBatch(context, 'bench-recovery-calm');
  const calmErrors = await calm.done;
  const undisturbedMs = performance.now() - startedAt;

  progress(`recovery: the same, with the worker killed ${RECOVERY_KILL_AFTER_MS} ms in…`);
  startedAt = performance.now();
  const storm = await runBatch(context, 'bench-recovery-kill');
  await new Promise((resolve) => setTimeout(resolve, RECOVERY_KILL_AFTER_MS));
  await context.worker.kill();
  const killedAt = performance.now();
  const pid = context.worker.start();
  // The server lists a dead worker's pollers for a while: wait for the new process's own.
  await waitForPollerOf(context, pid, 180_000);
  const workerBackMs = performance.now() - killedAt;
  const stormErrors = await storm.done;
  const doneAt = performance.now();
  return {
    tasks: RECOVERY_TASKS,
    rounds: RECOVERY_ROUNDS,
    undisturbedMs: Math.round(undisturbedMs),
    disturbedMs: Math.round(doneAt - startedAt),
    killAfterMs: RECOVERY_KILL_AFTER_MS,
    workerBackMs: Math.round(workerBackMs),
    killToDoneMs: Math.round(doneAt - killedAt),
    recoveryMs: Math.round(doneAt - startedAt - undisturbedMs),
    errors: calmErrors.length + stormErrors.length,
  };
}

/** Runs the benchmark, prints its tables and returns the result. */
export async function run(config: ChassisConfig): Promise<ThroughputResult> {
  const finishLoad = watchMachineLoad();
  const levels = numbersFrom('CHASSIS_BENCH_LEVELS', DEFAULT_LEVELS);
  const idleCount = numbersFrom('CHASSIS_BENCH_IDLE_SESSIONS', [DEFAULT_IDLE_SESSIONS], 0)[0] as number;
  const model = config.models.pinned ?? 'gpt-4.1-mini';
  const benchDatabase = await openBenchDatabase(config, 'throughput');
  const database = benchDatabase.db.databaseName;
  const home = mkdtempSync(path.join(os.tmpdir(), 'chassis-bench-throughput-'));
  const server = await startQuietScriptedModel(countingScript([1, RECOVERY_ROUNDS], MODEL_LATENCY_MS));
  const taskQueue = `bench-throughput-${randomUUID()}`;
  const worker = new WorkerProcess({
    name: 'throughput-worker',
    environment: workerEnvironment(config, { taskQueue, modelUrl: server.baseURL, database, home }),
    logFile: path.join(home, 'worker.log'),
    onUnexpectedExit: (description) => progress(`warning: ${description} (log: ${path.join(home, 'worker.log')})`),
  });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    progress('starting a chassis worker process…');
    worker.start();
    if (!(await waitForPollers(client, taskQueue, 180_000))) {
      throw new Error(`the worker did not poll within 3 minutes: see ${path.join(home, 'worker.log')}`);
    }
    const context: Context = { client, taskQueue, model, server, worker, modelLatencyMs: MODEL_LATENCY_MS };
    const measured: ThroughputLevel[] = [];
    for (const concurrency of levels) measured.push(await measureLevel(context, concurrency));
    const idleSessions = idleCount > 0 ? await measureIdleSessions(context, idleCount) : undefined;
    const recovery = await measureRecovery(context);
    const load = finishLoad();
    const result: ThroughputResult = {
      description:
        'Agent tasks (2 model calls + 1 calculator call, memory on) on one chassis worker process at growing concurrency, closed loop; a thousand idle sessions; recovery from a SIGKILL of the worker. Scripted model server (a test double) at 300 ms per call.',
      modelLatencyMs: MODEL_LATENCY_MS,
      temporalAddress: config.temporal.address,
      mongo: benchmarkMongoLocation(config),
      load,
      levels: measured,
      ...(idleSessions ? { idleSessions } : {}),
      recovery,
    };
    printThroughput(config, result);
    return result;
  } finally {
    await worker.dispose();
    await connection.close();
    await server.close();
    await benchDatabase.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function printThroughput(config: ChassisConfig, result: ThroughputResult): void {
  printTable({
    title: [
      'throughput: agent tasks (2 model calls + 1 calculator call, memory on) on ONE chassis worker process, closed loop',
      `model: the scripted server (a test double), ${result.modelLatencyMs} ms per call`,
      describeBenchmarkServers(config),
      describeMachineLoad(result.load),
      '',
    ],
    headers: [
      'concurrency',
      'tasks',
      'errors',
      'tasks/min',
      'latency p50',
      'latency p95',
      'peak model calls',
      'worker memory peak',
      'at end',
    ],
    rows: result.levels.map((level) => [
      level.concurrency,
      level.tasks,
      level.errors,
      level.tasksPerMinute,
      `${level.latency.medianMs.toFixed(0)} ms`,
      `${level.latency.p95Ms.toFixed(0)} ms`,
      level.peakModelCalls,
      formatMegabytes(level.workerPeakBytes),
      formatMegabytes(level.workerEndBytes),
    ]),
    align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const level of result.levels.filter((entry) => entry.errorSamples.length > 0)) {
    process.stdout.write(`  errors at ${level.concurrency}: ${level.errorSamples.join(' | ')}\n`);
  }
  const idle = result.idleSessions;
  if (idle !== undefined) {
    process.stdout.write('\n');
    printTable({
      title: [`idle sessions: ${idle.sessions} sessions answered once each, then idle, on the same worker`, ''],
      headers: [
        'sessions',
        'set-up',
        'errors',
        'worker memory before',
        'with the sessions idle',
        'answer p50',
        'p95',
        'of which model',
      ],
      rows: [
        [
          idle.sessions,
          `${(idle.setupMs / 1000).toFixed(1)} s`,
          idle.errors,
          formatMegabytes(idle.workerBytesBefore),
          formatMegabytes(idle.workerBytesIdle),
          `${idle.answer.medianMs.toFixed(0)} ms`,
          `${idle.answer.p95Ms.toFixed(0)} ms`,
          `${idle.modelTimePerAnswerMs} ms`,
        ],
      ],
      align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
  }
  const recovery = result.recovery;
  if (recovery !== undefined) {
    process.stdout.write('\n');
    printTable({
      title: [
        `recovery: ${recovery.tasks} tasks of ${recovery.rounds} rounds; the worker SIGKILLed ${recovery.killAfterMs} ms in and restarted at once`,
        '',
      ],
      headers: [
        'undisturbed',
        'with the kill',
        'kill → worker polling',
        'kill → all done',
        'cost of the kill',
        'errors',
      ],
      rows: [
        [
          `${(recovery.undisturbedMs / 1000).toFixed(1)} s`,
          `${(recovery.disturbedMs / 1000).toFixed(1)} s`,
          `${(recovery.workerBackMs / 1000).toFixed(1)} s`,
          `${(recovery.killToDoneMs / 1000).toFixed(1)} s`,
          `${(recovery.recoveryMs / 1000).toFixed(1)} s`,
          recovery.errors,
        ],
      ],
      align: ['right', 'right', 'right', 'right', 'right', 'right'],
    });
  }
}
