import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { createDataConverter } from '../src/codec/data-converter';
import { PayloadKeyring } from '../src/codec/encryption-keys';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../src/contracts/agent-task';
import type { ChatMessage } from '../src/contracts/messages';
import type { ActivityDependencies } from '../src/activities';
import { TaskEventLog } from '../src/events/task-event-log';
import { ensureMemoryIndexes } from '../src/memory/database';
import { EpisodeWindowCache } from '../src/memory/episode-window-cache';
import { KnowledgeIndexCache } from '../src/memory/knowledge-index-cache';
import { HashedNgramEmbedder } from '../src/memory/embedders/hashed-ngram-embedder';
import { type ModelGateway } from '../src/models/model-gateway';
import type { ScriptedModelServer } from '../src/testing/scripted-model';
import type { TestStack } from '../src/testing/temporal-harness';
import { builtInTools } from '../src/tools/builtin';
import { ToolRegistry } from '../src/tools/registry';
import { DEFAULT_SYSTEM_PROMPT } from '../src/workflows/prompts';
import { countingAnswer, countingGoal, countingModelCalls, countingScript, FACTS_RULE } from './support/counting-task';
import { benchmarkMongoLocation, describeBenchmarkServers } from './support/header';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { computeOverheadRatios, type OverheadRatios } from './support/overhead-ratios';
import type { PlainAgentInput } from './support/plain/plain-workflows';
import { startPlainWorker, type PlainWorker } from './support/plain/plain-worker';
import { summarizeSamples, type SampleSummary } from './support/results';
import {
  alternatingRounds,
  openBenchDatabase,
  progress,
  startBenchRig,
  temporalUnreachableError,
  type BenchDatabase,
} from './support/runner';
import { printTable } from './support/table';

/**
 * `overhead`: what Chassis adds to an agent task, measured side by side in one process
 * against the same scripted model server (a test double with a fixed delay, not a model):
 *
 * - `bare`: an in-process loop, `ModelGateway.complete` → `ToolRegistry.execute` → … (the floor);
 * - `plain`: a plain Temporal workflow making the same calls as activities, with the SDK's
 *   default worker (the engine floor);
 * - `chassis`: `agentTaskWorkflow` as `chassis run --direct` runs it: memory on (recall
 *   before, an abandoned child writing the episode after), real MongoDB;
 * - `chassis, memory off`: the same with `memory: false`;
 * - `chassis, codec`: memory on, with the production payload codecs (claim check in MongoDB
 *   and AES-256-GCM encryption) on the workers and the client;
 * - the same task with 10 calculator rounds (`bare`, `plain`, `chassis`), for the cost of
 *   one more step.
 *
 * Runs alternate (never concurrently), each iteration in a rotated order, so drift on the
 * machine hits every variant alike. Workflows start eagerly (client on the workers'
 * connection), the way the demo and benchmarks run; ratios, not absolute times, are the result.
 */

const TOOLS = ['calculator'];
const LONG_ROUNDS = 10;

/** Model latencies (per call), the variants measured at each, and run counts. */
const PLAN = [
  { modelLatencyMs: 0, warmupRuns: 3, iterations: 30, long: true },
  { modelLatencyMs: 100, warmupRuns: 1, iterations: 10, long: false },
  { modelLatencyMs: 300, warmupRuns: 1, iterations: 10, long: false },
] as const;

/** The variants, in the order of the table. */
export const VARIANTS = [
  { name: 'bare', label: 'bare loop (in process)', rounds: 1 },
  { name: 'plain', label: 'plain Temporal workflow', rounds: 1 },
  { name: 'chassis', label: 'Chassis (memory on)', rounds: 1 },
  { name: 'chassis-no-memory', label: 'Chassis, memory off', rounds: 1 },
  { name: 'chassis-codec', label: 'Chassis, claim check + encryption', rounds: 1 },
  { name: 'bare-long', label: `bare loop, ${LONG_ROUNDS} rounds`, rounds: LONG_ROUNDS },
  { name: 'plain-long', label: `plain workflow, ${LONG_ROUNDS} rounds`, rounds: LONG_ROUNDS },
  { name: 'chassis-long', label: `Chassis, ${LONG_ROUNDS} rounds`, rounds: LONG_ROUNDS },
] as const;

/** A variant's name. */
export type VariantName = (typeof VARIANTS)[number]['name'];

interface Runner {
  name: VariantName;
  rounds: number;
  run(): Promise<RunOutcome>;
}

interface RunOutcome {
  answer: string;
  /** Whether the server handed the first workflow task back in the start call (eager start). */
  eager?: boolean;
}

/** One model latency: every variant's samples and the ratios between them. */
export interface OverheadMeasurement {
  /** Scripted delay before each model reply, in ms. */
  modelLatencyMs: number;
  warmupRuns: number;
  iterations: number;
  variants: Partial<Record<VariantName, SampleSummary>>;
  ratios: OverheadRatios;
  /** Runs whose first workflow task came back in the start call, out of the workflow runs. */
  eagerStarts: { eager: number; runs: number };
}

/** What `bench/results/overhead.json` holds besides name, date and machine. */
export interface OverheadResult {
  description: string;
  model: string;
  task: { goal: string; modelCalls: number; toolCalls: number; longRounds: number };
  temporalAddress: string;
  mongo: string;
  load: MachineLoad;
  measurements: OverheadMeasurement[];
}

/** The bare loop: the calls the workflow makes, in process, with no engine. */
async function runBare(dependencies: { models: ModelGateway; tools: ToolRegistry }, model: string, rounds: number) {
  const tools = dependencies.tools.definitions(TOOLS);
  const messages: ChatMessage[] = [
    { role: 'system', content: DEFAULT_SYSTEM_PROMPT },
    { role: 'user', content: countingGoal(rounds) },
  ];
  for (let step = 1; step <= rounds + 1; step++) {
    const result = await dependencies.models.complete({ model, messages, tools, purpose: `step ${step}` });
    if (result.toolCalls.length === 0) return { answer: result.content ?? '' };
    messages.push({ role: 'assistant', content: result.content, toolCalls: result.toolCalls });
    for (const call of result.toolCalls) {
      const toolResult = await dependencies.tools.execute(call, {
        idempotencyKey: `bare/step-${step}/${call.id}`,
        signal: new AbortController().signal,
        heartbeat: () => undefined,
      });
      const content = toolResult.ok ? toolResult.output : JSON.stringify(toolResult.error);
      messages.push({ role: 'tool', toolCallId: toolResult.callId, content });
    }
  }
  throw new Error(`bare loop: the scripted model did not answer within ${rounds + 1} calls; check the script`);
}

async function runPlain(client: Client, taskQueue: string, input: PlainAgentInput): Promise<RunOutcome> {
  const handle = await client.workflow.start('plainAgentWorkflow', {
    taskQueue,
    workflowId: `bench-plain-${randomUUID()}`,
    args: [input],
    workflowExecutionTimeout: '2 minutes',
    requestEagerStart: true,
  });
  return { answer: await handle.result(), eager: handle.eagerlyStarted };
}

async function runChassis(stack: TestStack, input: AgentTaskInput): Promise<RunOutcome> {
  const handle = await stack.eagerClient.workflow.start('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `bench-overhead-${randomUUID()}`,
    args: [input],
    // A broken run fails the benchmark instead of hanging it.
    workflowExecutionTimeout: '2 minutes',
    requestEagerStart: true,
  });
  const result = (await handle.result()) as AgentTaskResult;
  if (result.status !== 'completed') throw new Error(`chassis run ended "${result.status}": ${result.answer}`);
  return { answer: result.answer, eager: handle.eagerlyStarted };
}

/** Chat requests of the task itself since `from` (memory's fact extraction is not a step). */
function taskRequests(server: ScriptedModelServer, from: number) {
  return server.requests
    .slice(from)
    .filter((request) => request.path.endsWith('/chat/completions') && request.ruleName !== FACTS_RULE);
}

/**
 * Times one run and checks it did the benchmarked work: the expected answer after exactly
 * the expected number of model calls. Correctness checks, not timing ones. Fact-extraction
 * calls of earlier runs' memory children may land meanwhile; they are not counted.
 */
async function timeRun(runner: Runner, server: ScriptedModelServer): Promise<{ elapsedMs: number; eager?: boolean }> {
  const before = server.requests.length;
  const started = performance.now();
  const outcome = await runner.run();
  const elapsedMs = performance.now() - started;
  const calls = taskRequests(server, before).filter((request) =>
    JSON.stringify(request.body).includes(JSON.stringify(countingGoal(runner.rounds))),
  ).length;
  const expected = countingModelCalls(runner.rounds);
  if (outcome.answer !== countingAnswer(runner.rounds) || calls !== expected) {
    throw new Error(
      `${runner.name} run did not do the benchmarked work: answer ${JSON.stringify(outcome.answer)} after ${calls} model calls (expected ${JSON.stringify(countingAnswer(runner.rounds))} after ${expected})`,
    );
  }
  return { elapsedMs, eager: outcome.eager };
}

/** Request bodies with the scripted server's per-request tool call ids made uniform. */
function normalizedBodies(server: ScriptedModelServer, from: number): string[] {
  return taskRequests(server, from).map((request) => JSON.stringify(request.body).replace(/call_\d+_\d+/g, 'call_ID'));
}

/** Fails unless the runners send the model byte-identical requests (ids aside): the comparison is fair. */
async function checkSameRequests(server: ScriptedModelServer, runners: Runner[]): Promise<void> {
  const bodies: string[][] = [];
  for (const runner of runners) {
    const start = server.requests.length;
    await runner.run();
    bodies.push(normalizedBodies(server, start));
  }
  const [first, ...others] = bodies;
  others.forEach((other, index) => {
    if (JSON.stringify(other) !== JSON.stringify(first)) {
      throw new Error(
        `${runners[0]?.name} and ${runners[index + 1]?.name} sent the model different requests, so the comparison would be unfair:\n` +
          `${first?.join('\n')}\n---\n${other.join('\n')}`,
      );
    }
  });
}

/** Runs the benchmark, prints its table and returns the result (raw samples included). */
export async function run(config: ChassisConfig): Promise<OverheadResult> {
  const finishLoad = watchMachineLoad();
  // A pinned model: this benchmark measures the harness, not routing.
  const model = config.models.pinned ?? 'gpt-4.1-mini';
  const rig = await startBenchRig(config, { script: countingScript([1, LONG_ROUNDS], 0) });
  const server = rig.model;
  let database: BenchDatabase | undefined;
  let plainWorker: PlainWorker | undefined;
  try {
    database = await openBenchDatabase(config, 'overhead');
    const models = rig.gateway({ timeoutMs: 30_000 });
    const tools = new ToolRegistry(builtInTools());
    const embedder = new HashedNgramEmbedder({ dimensions: 64 });
    const capabilities = await ensureMemoryIndexes(database.db, {
      vectorSearch: 'exact',
      embedder: embedder.description,
    });
    // As a worker builds them: memory with its caches, the tool result cache and ledger, and the
    // task events a worker publishes for `chassis run`, all on the same database.
    const dependencies: ActivityDependencies = {
      models,
      tools,
      db: database.db,
      memory: {
        db: database.db,
        embedder,
        models,
        vectorSearch: 'exact',
        capabilities,
        cache: new KnowledgeIndexCache(database.db),
        episodeWindows: new EpisodeWindowCache(database.db),
      },
      events: new TaskEventLog(database.db),
    };
    const keyring = new PayloadKeyring({ id: 'bench', key: randomBytes(32) });
    const codec = createDataConverter({ db: database.db, claimCheckThresholdBytes: 8192, keyring });
    const chassisStack = await rig.startStack({ dependencies, taskQueuePrefix: 'bench-overhead' });
    const codecStack = await rig.startStack({ dependencies, dataConverter: codec, taskQueuePrefix: 'bench-codec' });
    plainWorker = await startPlainWorker({
      connection: chassisStack.nativeConnection,
      namespace: config.temporal.namespace,
      dependencies: { models, tools },
    }).catch((error: unknown) => {
      throw temporalUnreachableError(config, error as Error);
    });
    const plainQueue = plainWorker.taskQueue;
    const plainInput = (rounds: number): PlainAgentInput => ({
      model,
      messages: [
        { role: 'system', content: DEFAULT_SYSTEM_PROMPT },
        { role: 'user', content: countingGoal(rounds) },
      ],
      tools: tools.definitions(TOOLS),
      maxSteps: rounds + 1,
    });
    const chassisInput = (rounds: number, memory: boolean): AgentTaskInput => ({
      goal: countingGoal(rounds),
      model,
      tools: TOOLS,
      maxSteps: rounds + 1,
      // Planning off: the bare loop has no planner, so every variant makes the same calls.
      planning: 'direct',
      ...(memory ? {} : { memory: false }),
    });
    const runners: Record<VariantName, Runner> = {
      bare: { name: 'bare', rounds: 1, run: () => runBare({ models, tools }, model, 1) },
      plain: { name: 'plain', rounds: 1, run: () => runPlain(chassisStack.eagerClient, plainQueue, plainInput(1)) },
      chassis: { name: 'chassis', rounds: 1, run: () => runChassis(chassisStack, chassisInput(1, true)) },
      'chassis-no-memory': {
        name: 'chassis-no-memory',
        rounds: 1,
        run: () => runChassis(chassisStack, chassisInput(1, false)),
      },
      'chassis-codec': { name: 'chassis-codec', rounds: 1, run: () => runChassis(codecStack, chassisInput(1, true)) },
      'bare-long': {
        name: 'bare-long',
        rounds: LONG_ROUNDS,
        run: () => runBare({ models, tools }, model, LONG_ROUNDS),
      },
      'plain-long': {
        name: 'plain-long',
        rounds: LONG_ROUNDS,
        run: () => runPlain(chassisStack.eagerClient, plainQueue, plainInput(LONG_ROUNDS)),
      },
      'chassis-long': {
        name: 'chassis-long',
        rounds: LONG_ROUNDS,
        run: () => runChassis(chassisStack, chassisInput(LONG_ROUNDS, true)),
      },
    };
    await checkSameRequests(server, [runners.bare, runners.plain, runners['chassis-no-memory']]);

    const measurements: OverheadMeasurement[] = [];
    for (const { modelLatencyMs, warmupRuns, iterations, long } of PLAN) {
      server.setScript(countingScript([1, LONG_ROUNDS], modelLatencyMs));
      const active = VARIANTS.filter((variant) => long || variant.rounds === 1).map((variant) => runners[variant.name]);
      progress(
        `model latency ${modelLatencyMs} ms: ${warmupRuns} warm-up + ${iterations} runs of ${active.length} variants…`,
      );
      const eagerStarts = { eager: 0, runs: 0 };
      const timed = await alternatingRounds({
        sides: active,
        rounds: iterations,
        warmupRounds: warmupRuns,
        run: async (runner, { warmup }) => {
          const { elapsedMs, eager } = await timeRun(runner, server);
          if (!warmup && eager !== undefined) {
            eagerStarts.runs++;
            if (eager) eagerStarts.eager++;
          }
          return elapsedMs;
        },
      });
      const samples = new Map<VariantName, number[]>(active.map((runner, index) => [runner.name, timed[index] ?? []]));
      const variants: OverheadMeasurement['variants'] = {};
      for (const [name, values] of samples) variants[name] = summarizeSamples(values);
      const medians = Object.fromEntries(Object.entries(variants).map(([name, summary]) => [name, summary.medianMs]));
      measurements.push({
        modelLatencyMs,
        warmupRuns,
        iterations,
        variants,
        ratios: computeOverheadRatios(medians, LONG_ROUNDS),
        eagerStarts,
      });
    }
    const load = finishLoad();
    printOverheadTables(config, measurements, load);
    return {
      description:
        'One agent task (model call → calculator → model call that answers; and with 10 calculator rounds) done by a bare in-process loop, a plain Temporal workflow and Chassis agentTaskWorkflow, against the same scripted model server (a test double, not a model). Medians of alternating runs; ratios between medians.',
      model,
      task: { goal: countingGoal(1), modelCalls: 2, toolCalls: 1, longRounds: LONG_ROUNDS },
      temporalAddress: config.temporal.address,
      mongo: benchmarkMongoLocation(config),
      load,
      measurements,
    };
  } finally {
    await plainWorker?.stop();
    await rig.close();
    await database?.close();
  }
}

function formatMs(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(1)} ms`;
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}x`;
}

function printOverheadTables(config: ChassisConfig, measurements: OverheadMeasurement[], load: MachineLoad): void {
  printTable({
    title: [
      'overhead: one agent task (2 model calls + 1 calculator call), medians of alternating runs in one process',
      'model: the scripted server, a test double of the provider (not a model) with a fixed delay per call',
      describeBenchmarkServers(config),
      describeMachineLoad(load),
      'compare the ratios, not the absolute times',
      '',
    ],
    headers: ['model latency', ...VARIANTS.filter((variant) => variant.rounds === 1).map((variant) => variant.label)],
    rows: measurements.map((measurement) => [
      `${measurement.modelLatencyMs} ms/call`,
      ...VARIANTS.filter((variant) => variant.rounds === 1).map((variant) =>
        formatMs(measurement.variants[variant.name]?.medianMs),
      ),
    ]),
    align: ['right', ...VARIANTS.filter((variant) => variant.rounds === 1).map(() => 'right' as const)],
  });
  process.stdout.write('\n');
  printTable({
    title: ['ratios of medians (target: chassis / plain <= 1.2 at 0 ms; chassis / bare <= 1.10 at 300 ms)', ''],
    headers: [
      'model latency',
      'plain / bare',
      'chassis / bare',
      'chassis / plain',
      'memory off / plain',
      'codec / chassis',
      'eager starts',
    ],
    rows: measurements.map((measurement) => [
      `${measurement.modelLatencyMs} ms/call`,
      formatRatio(measurement.ratios.plainOverBare),
      formatRatio(measurement.ratios.chassisOverBare),
      formatRatio(measurement.ratios.chassisOverPlain),
      formatRatio(measurement.ratios.noMemoryOverPlain),
      formatRatio(measurement.ratios.codecOverChassis),
      `${measurement.eagerStarts.eager}/${measurement.eagerStarts.runs}`,
    ]),
  });
  const long = measurements.find((measurement) => measurement.ratios.perExtraStep !== undefined);
  if (long?.ratios.perExtraStep !== undefined) {
    const step = long.ratios.perExtraStep;
    process.stdout.write('\n');
    printTable({
      title: [
        `one more step (model call + calculator call), from 1 vs ${LONG_ROUNDS} rounds at ${long.modelLatencyMs} ms model latency (target: chassis <= 30 ms beyond its model and tool time)`,
        '',
      ],
      headers: ['', 'per extra step', 'beyond the bare loop'],
      rows: [
        ['bare loop', formatMs(step.bareMs), '—'],
        ['plain workflow', formatMs(step.plainMs), formatMs(step.plainBeyondBareMs)],
        ['Chassis', formatMs(step.chassisMs), formatMs(step.chassisBeyondBareMs)],
      ],
      align: ['left', 'right', 'right'],
    });
  }
}
