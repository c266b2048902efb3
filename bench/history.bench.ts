import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { temporal } from '@temporalio/proto';
import type { Db } from 'mongodb';
import { PAYLOADS_COLLECTION } from '../src/codec/claim-check-store';
import { DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES } from '../src/config/codec-settings';
import { createDataConverter } from '../src/codec/data-converter';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../src/contracts/agent-task';
import type { TestStack } from '../src/testing/temporal-harness';
import { describeBenchmarkServers } from './support/header';
import { openBenchDatabase, progress, startBenchRig, type BenchDatabase } from './support/runner';
import { printTable } from './support/table';

/**
 * `history`: Temporal history bytes per agent step against the size of the working context
 * and the number of steps, with the claim-check codec off and on, side by side in one run
 * (docs/architecture.md, decision 6). Each run is an `agentTaskWorkflow` on the real dev server whose
 * scripted model (a test double of the provider) calls the clock tool at every step until
 * the step budget ends the task, so every model call carries the whole context. The
 * context is the system prompt, padded to the size measured. History size = the
 * serialized `History` protobuf fetched from the server.
 */

/** Context sizes (KB) × step counts measured, both ways. The long row is the 200 × 100 KB case. */
const PLAN: { contextKb: number; steps: number }[] = [
  { contextKb: 1, steps: 10 },
  { contextKb: 10, steps: 10 },
  { contextKb: 100, steps: 10 },
  { contextKb: 1, steps: 50 },
  { contextKb: 10, steps: 50 },
  { contextKb: 100, steps: 50 },
  { contextKb: 100, steps: 200 },
];

/** Temporal refuses a workflow whose history passes 50 MB; the "off" column says how close it gets. */
const HISTORY_LIMIT_BYTES = 50 * 1024 * 1024;

/** One side of a measurement. */
export interface HistorySide {
  historyBytes: number;
  /** Server-reported history size (DescribeWorkflowExecution), for comparison. */
  serverHistoryBytes: number | null;
  events: number;
  bytesPerStep: number;
  /** Bytes of new blobs in the claim-check store (0 when off). */
  storedBytes: number;
  storedBlobs: number;
  wallMs: number;
}

/** One row: a context size and step count, claim check off and on. */
export interface HistoryMeasurement {
  contextBytes: number;
  steps: number;
  off: HistorySide;
  on: HistorySide;
  /** off bytes per step / on bytes per step. */
  ratio: number;
}

/** What `bench/results/history.json` holds besides name, date and machine. */
export interface HistoryBenchResult {
  description: string;
  claimCheckThresholdBytes: number;
  temporalAddress: string;
  measurements: HistoryMeasurement[];
}

async function storeTotals(db: Db): Promise<{ bytes: number; blobs: number }> {
  const documents = await db
    .collection<{ bytes: number }>(PAYLOADS_COLLECTION)
    .find({}, { projection: { bytes: 1 } })
    .toArray();
  return { bytes: documents.reduce((sum, document) => sum + document.bytes, 0), blobs: documents.length };
}

async function measure(workers: TestStack, db: Db, contextBytes: number, steps: number): Promise<HistorySide> {
  const before = await storeTotals(db);
  const workflowId = `bench-history-${contextBytes}-${steps}-${randomUUID().slice(0, 8)}`;
  const input: AgentTaskInput = {
    goal: 'Keep reading the clock.',
    model: 'gpt-4.1-mini',
    planning: 'direct',
    // No memory recall or write: the benchmark measures the agent loop's history.
    memory: false,
    tools: ['clock'],
    maxSteps: steps,
    // A random prefix so runs do not share claim-checked blobs: each run pays for its own context.
    systemPrompt: `${randomUUID()} working context: `.padEnd(contextBytes, 'x'),
  };
  const started = performance.now();
  const result: AgentTaskResult = await workers.client.workflow.execute('agentTaskWorkflow', {
    taskQueue: workers.taskQueue,
    workflowId,
    args: [input],
    workflowExecutionTimeout: '10 minutes',
  });
  const wallMs = performance.now() - started;
  if (result.steps.length !== steps) {
    throw new Error(`run ${workflowId} made ${result.steps.length} steps, not ${steps}: ${result.answer}`);
  }
  const handle = workers.client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const historyBytes = temporal.api.history.v1.History.encode(history).finish().length;
  const description = await handle.describe();
  const after = await storeTotals(db);
  return {
    historyBytes,
    serverHistoryBytes: description.historySize ?? null,
    events: history.events?.length ?? 0,
    bytesPerStep: Math.round(historyBytes / steps),
    storedBytes: after.bytes - before.bytes,
    storedBlobs: after.blobs - before.blobs,
    wallMs: Math.round(wallMs),
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** Runs the benchmark, prints its table and returns the result. */
export async function run(config: ChassisConfig): Promise<HistoryBenchResult> {
  const rig = await startBenchRig(config, {
    script: { rules: [{ name: 'always-clock', reply: { toolCalls: [{ name: 'clock', arguments: {} }] } }] },
  });
  let database: BenchDatabase | undefined;
  try {
    database = await openBenchDatabase(config, 'history');
    const { db } = database;
    const dependencies = { models: rig.gateway({ timeoutMs: 30_000 }) };
    const off = await rig.startStack({
      dependencies,
      dataConverter: createDataConverter({ claimCheckThresholdBytes: undefined }),
      taskQueuePrefix: 'bench-history',
    });
    const on = await rig.startStack({
      dependencies,
      dataConverter: createDataConverter({ db, claimCheckThresholdBytes: DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES }),
      taskQueuePrefix: 'bench-history',
    });
    const measurements: HistoryMeasurement[] = [];
    for (const { contextKb, steps } of PLAN) {
      const contextBytes = contextKb * 1024;
      progress(`context ${contextKb} KB, ${steps} steps: claim check off, then on…`);
      const offSide = await measure(off, db, contextBytes, steps);
      const onSide = await measure(on, db, contextBytes, steps);
      measurements.push({
        contextBytes,
        steps,
        off: offSide,
        on: onSide,
        ratio: Math.round((offSide.bytesPerStep / onSide.bytesPerStep) * 10) / 10,
      });
    }
    printTable({
      title: [
        'history: Temporal history bytes per agent step vs working-context size, claim-check codec off vs on',
        `each step = 1 model call carrying the whole context + 1 clock tool call; claim check stores payloads >= ${DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES} bytes in MongoDB`,
        `model: the scripted server (a test double, not a model); ${describeBenchmarkServers(config)}`,
        `Temporal fails a run whose history passes ${mb(HISTORY_LIMIT_BYTES)}; the off column grows by the context at every step`,
        '',
      ],
      headers: [
        'context',
        'steps',
        'history off',
        'history on',
        'per step off',
        'per step on',
        'off/on',
        'stored in MongoDB (on)',
        'ms/step off',
        'ms/step on',
      ],
      rows: measurements.map((measurement) => [
        `${measurement.contextBytes / 1024} KB`,
        String(measurement.steps),
        mb(measurement.off.historyBytes),
        mb(measurement.on.historyBytes),
        kb(measurement.off.bytesPerStep),
        kb(measurement.on.bytesPerStep),
        `${measurement.ratio.toFixed(1)}x`,
        `${mb(measurement.on.storedBytes)} in ${measurement.on.storedBlobs} blobs`,
        (measurement.off.wallMs / measurement.steps).toFixed(0),
        (measurement.on.wallMs / measurement.steps).toFixed(0),
      ]),
      align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    return {
      description:
        'Temporal history bytes per agent step (serialized History protobuf / steps) for agentTaskWorkflow runs whose scripted model calls a tool at every step with a working context of the given size, without and with the claim-check payload codec.',
      claimCheckThresholdBytes: DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
      temporalAddress: config.temporal.address,
      measurements,
    };
  } finally {
    await rig.close();
    await database?.close();
  }
}
