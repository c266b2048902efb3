import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import type { ChassisConfig } from '../src/config/load-config';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/stack/temporal-dynamic-config';
import { startPrivateTemporal, type PrivateServer } from '../src/testing/private-servers';
import { quietLogger } from '../src/observability/quiet-logger';
import { installWorkerRuntime } from '../src/workers/install-runtime';
import { handOffGaps, type HandOffGaps } from './support/hand-off-gaps';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { startPlainWorker, type PlainWorker } from './support/plain/plain-worker';
import { medianOf, summarizeSamples, type SampleSummary } from './support/results';
import { alternatingRounds, progress } from './support/runner';
import { printTable } from './support/table';

/**
 * `handoffs`: where a hand-off's time goes, and what each dev-server setting of
 * `chassis dev up` buys. The same plain workflow (three activities that return at once, so
 * only the engine is measured) runs on private dev servers, one per setting, started side by
 * side; blocks of back-to-back runs rotate between them. Each run's history gives the server-side time of every
 * hand-off (workflow task and activity: dispatched, run), the client's clock the rest.
 *
 * The settings are cumulative: the server's own defaults, then each value of
 * `DEV_SERVER_DYNAMIC_CONFIG` added in turn, then eager workflow start on top.
 */

/** Temporal server 1.29's defaults for the keys `chassis dev up` sets (from its source). */
export const SERVER_DEFAULTS: Readonly<Record<string, boolean | number>> = {
  'history.transferProcessorMaxPollRPS': 20,
  'history.timerProcessorMaxPollRPS': 20,
  'history.visibilityProcessorMaxPollRPS': 20,
  'system.enableActivityEagerExecution': false,
  'matching.numTaskqueueReadPartitions': 4,
  'matching.numTaskqueueWritePartitions': 4,
  'frontend.namespaceCount': 1200,
};

const QUEUE_READERS = [
  'history.transferProcessorMaxPollRPS',
  'history.timerProcessorMaxPollRPS',
  'history.visibilityProcessorMaxPollRPS',
];

/** The server settings compared, cumulative; the last is `chassis dev up`'s. */
const SETTINGS = [
  { name: 'defaults', label: 'server defaults', keys: [] as string[] },
  { name: 'readers', label: '+ queue readers unthrottled', keys: QUEUE_READERS },
  { name: 'eager-activities', label: '+ eager activities', keys: ['system.enableActivityEagerExecution'] },
  {
    name: 'one-partition',
    label: '+ one partition (chassis dev up)',
    keys: ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions', 'frontend.namespaceCount'],
  },
] as const;

/**
 * Runs go in blocks of back-to-back runs per setting, blocks rotating between settings: the
 * throttle the defaults have only shows when runs follow each other without a pause, and the
 * first runs of a block still spend tokens saved up while the other settings ran.
 */
const ROUNDS = 4;
const BLOCK_RUNS = 10;
const BLOCK_WARMUP_RUNS = 3;
/** Runs spaced out on the default server: the queue readers' token bucket refills in between. */
const SPACED_RUNS = 10;
const SPACING_MS = 1_500;

/** The dynamic configuration of setting `index`: the defaults with the first `index` settings' keys at Chassis's values. */
export function cumulativeConfig(index: number): Record<string, boolean | number> {
  const config: Record<string, boolean | number> = { ...SERVER_DEFAULTS };
  for (const setting of SETTINGS.slice(1, index + 1)) {
    for (const key of setting.keys) config[key] = DEV_SERVER_DYNAMIC_CONFIG[key] as boolean | number;
  }
  return config;
}

/** One row: a setting (and start mode), its runs and their medians per hand-off. */
export interface HandOffRow {
  name: string;
  label: string;
  dynamicConfig: Record<string, boolean | number>;
  eagerStart: boolean;
  spacedMs: number;
  run: SampleSummary;
  /** Medians of each gap over all runs, ms. */
  medians: Record<Exclude<keyof HandOffGaps, never>, number>;
}

/** What `bench/results/handoffs.json` holds besides name, date and machine. */
export interface HandOffsResult {
  description: string;
  workflow: string;
  load: MachineLoad;
  rows: HandOffRow[];
}

interface Target {
  name: string;
  label: string;
  dynamicConfig: Record<string, boolean | number>;
  server: PrivateServer;
  connection: NativeConnection;
  client: Client;
  eagerClient: Client;
  worker: PlainWorker;
}

async function runOnce(target: Target, eager: boolean): Promise<{ elapsedMs: number; gaps: HandOffGaps }> {
  const client = eager ? target.eagerClient : target.client;
  const clientStartMs = Date.now();
  const handle = await client.workflow.start('threeHandOffsWorkflow', {
    taskQueue: target.worker.taskQueue,
    workflowId: `bench-handoffs-${randomUUID()}`,
    ...(eager ? { requestEagerStart: true } : {}),
  });
  await handle.result();
  const clientEndMs = Date.now();
  const history = await handle.fetchHistory();
  return {
    elapsedMs: clientEndMs - clientStartMs,
    gaps: handOffGaps(history.events ?? [], clientStartMs, clientEndMs),
  };
}

function summarizeRow(
  target: Target,
  eagerStart: boolean,
  spacedMs: number,
  runs: { elapsedMs: number; gaps: HandOffGaps }[],
): HandOffRow {
  const all = (pick: (gaps: HandOffGaps) => number | number[]) => runs.flatMap((run) => pick(run.gaps));
  return {
    name: `${target.name}${eagerStart ? '+eager-start' : ''}${spacedMs > 0 ? '+spaced' : ''}`,
    label: `${target.label}${eagerStart ? ' + eager workflow start' : ''}${spacedMs > 0 ? `, runs ${spacedMs / 1000} s apart` : ''}`,
    dynamicConfig: target.dynamicConfig,
    eagerStart,
    spacedMs,
    run: summarizeSamples(runs.map((run) => run.elapsedMs)),
    medians: {
      startToFirstTaskMs: medianOf(all((gaps) => gaps.startToFirstTaskMs)),
      workflowTaskDispatchMs: medianOf(all((gaps) => gaps.workflowTaskDispatchMs)),
      workflowTaskRunMs: medianOf(all((gaps) => gaps.workflowTaskRunMs)),
      activityDispatchMs: medianOf(all((gaps) => gaps.activityDispatchMs)),
      activityRunMs: medianOf(all((gaps) => gaps.activityRunMs)),
      activityToNextTaskMs: medianOf(all((gaps) => gaps.activityToNextTaskMs)),
      resultToClientMs: medianOf(all((gaps) => gaps.resultToClientMs)),
    },
  };
}

/** Runs the benchmark, prints its table and returns the result. */
export async function run(config: ChassisConfig): Promise<HandOffsResult> {
  const finishLoad = watchMachineLoad();
  installWorkerRuntime('WARN');
  progress('bundling the plain workflows…');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./support/plain/plain-workflows'),
    logger: quietLogger(),
  });
  const targets: Target[] = [];
  try {
    for (const [index, setting] of SETTINGS.entries()) {
      progress(`starting a private dev server: ${setting.label}…`);
      const dynamicConfig = cumulativeConfig(index);
      const server = await startPrivateTemporal({ dynamicConfig });
      const connection = await NativeConnection.connect({ address: server.address });
      const worker = await startPlainWorker({
        connection,
        namespace: config.temporal.namespace,
        // Never called: the workflow here only calls `noop`.
        dependencies: { models: undefined as never, tools: undefined as never },
        workflowBundle,
      });
      const client = new Client({ connection: await Connection.connect({ address: server.address }) });
      const eagerClient = new Client({ connection });
      targets.push({ ...setting, dynamicConfig, server, connection, client, eagerClient, worker });
    }
    const project = targets[targets.length - 1] as Target;
    const modes = [...targets.map((target) => ({ target, eager: false })), { target: project, eager: true }];
    progress(
      `${ROUNDS} rounds of ${BLOCK_RUNS} back-to-back runs (the first ${BLOCK_WARMUP_RUNS} not counted) on each of ${modes.length} settings…`,
    );
    // A side's run is a block of back-to-back runs: its first ones warm the setting up.
    const blocks = await alternatingRounds({
      sides: modes,
      rounds: ROUNDS,
      run: async (mode) => {
        const block: { elapsedMs: number; gaps: HandOffGaps }[] = [];
        for (let index = 0; index < BLOCK_RUNS; index++) block.push(await runOnce(mode.target, mode.eager));
        return block.slice(BLOCK_WARMUP_RUNS);
      },
    });
    const samples = blocks.map((side) => side.flat());
    const defaults = targets[0] as Target;
    progress(`${SPACED_RUNS} runs ${SPACING_MS} ms apart on the default server…`);
    const spaced: { elapsedMs: number; gaps: HandOffGaps }[] = [];
    for (let index = 0; index < SPACED_RUNS; index++) {
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      spaced.push(await runOnce(defaults, false));
    }
    const rows = [
      ...modes.map((mode, position) => summarizeRow(mode.target, mode.eager, 0, samples[position] ?? [])),
      summarizeRow(defaults, false, SPACING_MS, spaced),
    ];
    const load = finishLoad();
    printHandOffs(rows, load);
    return {
      description:
        'A plain workflow with three activities that return at once, on private dev servers with cumulative dynamic-config settings, in rotating blocks of back-to-back runs; per-hand-off medians from history event times.',
      workflow: 'threeHandOffsWorkflow (4 workflow tasks, 3 activities)',
      load,
      rows,
    };
  } finally {
    for (const target of targets) {
      await target.worker.stop();
      await target.connection.close();
      await target.client.connection.close();
      await target.server.dispose();
    }
  }
}

function printHandOffs(rows: HandOffRow[], load: MachineLoad): void {
  const ms = (value: number) => (Number.isNaN(value) ? '—' : `${value.toFixed(1)}`);
  const base = rows[0]?.run.medianMs ?? Number.NaN;
  printTable({
    title: [
      'handoffs: a plain workflow of 3 activities that return at once (4 workflow tasks), on private dev servers',
      'settings are cumulative, top to bottom; blocks of back-to-back runs rotate between them; medians in ms',
      describeMachineLoad(load),
      '',
    ],
    headers: [
      'setting',
      'run',
      'p95',
      'vs defaults',
      'start→1st task',
      'task dispatch',
      'task run',
      'activity dispatch',
      'activity run',
      'activity→task',
      'result→client',
    ],
    rows: rows.map((row) => [
      row.label,
      ms(row.run.medianMs),
      ms(row.run.p95Ms),
      `${(row.run.medianMs / base).toFixed(2)}x`,
      ms(row.medians.startToFirstTaskMs),
      ms(row.medians.workflowTaskDispatchMs),
      ms(row.medians.workflowTaskRunMs),
      ms(row.medians.activityDispatchMs),
      ms(row.medians.activityRunMs),
      ms(row.medians.activityToNextTaskMs),
      ms(row.medians.resultToClientMs),
    ]),
    align: ['left', ...Array.from({ length: 10 }, () => 'right' as const)],
  });
}
