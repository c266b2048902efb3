import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskResult } from '../src/contracts/agent-task';
import { type startScriptedModelServer, type ModelScriptInput } from '../src/testing/scripted-model';
import type { TestStack } from '../src/testing/temporal-harness';
import { builtInTools } from '../src/tools/builtin';
import { ToolRegistry } from '../src/tools/registry';
import { defineTool, type Tool } from '../src/tools/tool';
import { ToolRunner } from '../src/tools/tool-runner';
import type { ToolRunResult } from '../src/tools/tool-result';
import { bundleToolCallsWorkflow, startToolWorker, type ToolWorker } from '../test/tools/fixtures/tool-worker';
import { summarizeSamples, type SampleSummary } from './support/results';
import { alternatingRounds, openBenchDatabase, progress, startBenchRig, type BenchDatabase } from './support/runner';
import { printTable } from './support/table';

/**
 * `tools`: two measurements of the tool layer, each side by side in one run.
 *
 * 1. Result cache on a repeated-task workload: the same agent tasks (model → `slow_lookup`
 *    → answer) on the real Temporal server, once with workers whose tool runner has no
 *    database (no cache) and once with the MongoDB cache, counting tool executions and
 *    summing the `savedMs` that cache hits report.
 * 2. Overhead of one tool call as a Temporal activity versus calling the same function
 *    (`ToolRunner.run`, what the activity wraps) directly. The per-activity cost is the slope
 *    between a workflow of 1 and of 1 + N sequential `callTool` activities, so workflow start
 *    and result delivery cancel out.
 *
 * The model is the scripted server, a test double of the provider; the lookup's latency is
 * simulated. Compare the ratios, not the absolute times.
 */

// A slow external lookup (a search or reference API); the cache pays off in proportion to it.
const LOOKUP_LATENCY_MS = 500;
const QUERIES = ['capital of France', 'boiling point of water', 'speed of light', 'height of Everest'];
const TASKS = 12; // each query three times
const ACTIVITY_SLOPE_CALLS = 20;
const OVERHEAD_ITERATIONS = 12;
const DIRECT_BATCHES = 30;
const DIRECT_BATCH_SIZE = 100;

function slowLookup(): { tool: Tool; executions: () => number } {
  let executions = 0;
  const tool = defineTool({
    name: 'slow_lookup',
    description: 'Looks up a fact in a slow reference service. Returns the fact.',
    input: z.object({ q: z.string().min(1) }),
    example: { q: 'capital of France' },
    policy: { cacheTtlSeconds: 3600 },
    async execute({ q }) {
      executions += 1;
      await new Promise((resolve) => setTimeout(resolve, LOOKUP_LATENCY_MS));
      return `fact about ${q}`;
    },
  });
  return { tool: tool as Tool, executions: () => executions };
}

function lookupScript(query: string): ModelScriptInput {
  return {
    rules: [
      {
        name: 'lookup',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: 'slow_lookup', arguments: { q: query } }] },
      },
      { name: 'answer', match: { hasToolResults: true }, reply: { content: '{{lastToolResult}}' } },
    ],
  };
}

async function savedMsOf(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  let saved = 0;
  for (const event of history.events ?? []) {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    if (payload === undefined) continue;
    const result = defaultPayloadConverter.fromPayload(payload) as Partial<ToolRunResult> | undefined;
    if (result && typeof result === 'object' && 'savedMs' in result) saved += Number(result.savedMs ?? 0);
  }
  return saved;
}

/** One configuration of the cache workload. */
export interface CacheRun {
  mode: 'no cache' | 'mongodb cache';
  tasks: number;
  toolExecutions: number;
  executionsAvoided: number;
  cacheHits: number;
  /** Sum of the `savedMs` the cache hits reported (each hit's original execution time). */
  reportedSavedMs: number;
  totalMs: number;
  task: SampleSummary;
}

/** The overhead measurement. */
export interface OverheadRun {
  tool: string;
  /** `ToolRunner.run` in process, per call. */
  directPerCallMs: number;
  /** Per `callTool` activity inside a workflow: (median of 1+N calls − median of 1 call) / N. */
  activityPerCallMs: number;
  /** A whole one-call workflow, client start to result. */
  oneCallWorkflow: SampleSummary;
  ratio: number;
}

/** What `bench/results/tools.json` holds besides name, date and machine. */
export interface ToolsBenchResult {
  description: string;
  temporalAddress: string;
  workload: { tasks: number; distinctQueries: number; lookupLatencyMs: number };
  cache: CacheRun[];
  overhead: OverheadRun;
}

async function runCacheWorkload(
  stack: TestStack,
  server: Awaited<ReturnType<typeof startScriptedModelServer>>,
  model: string,
  mode: CacheRun['mode'],
  executions: () => number,
): Promise<CacheRun> {
  const before = executions();
  const samples: number[] = [];
  let saved = 0;
  let hits = 0;
  const started = performance.now();
  for (let index = 0; index < TASKS; index++) {
    const query = QUERIES[index % QUERIES.length] as string;
    server.setScript(lookupScript(query));
    const taskStarted = performance.now();
    const handle = await stack.client.workflow.start('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `bench-tools-cache-${randomUUID()}`,
      args: [{ goal: `Look up the ${query}.`, model, tools: ['slow_lookup'], maxSteps: 2, planning: 'direct' }],
      workflowExecutionTimeout: '2 minutes',
    });
    const result = (await handle.result()) as AgentTaskResult;
    samples.push(performance.now() - taskStarted);
    if (result.answer !== `fact about ${query}`)
      throw new Error(`${mode} task answered ${JSON.stringify(result.answer)}`);
    const taskSaved = await savedMsOf(handle);
    if (taskSaved > 0) hits += 1;
    saved += taskSaved;
  }
  const toolExecutions = executions() - before;
  return {
    mode,
    tasks: TASKS,
    toolExecutions,
    executionsAvoided: TASKS - toolExecutions,
    cacheHits: hits,
    reportedSavedMs: Math.round(saved),
    totalMs: Math.round(performance.now() - started),
    task: summarizeSamples(samples),
  };
}

async function measureOverhead(worker: ToolWorker, runner: ToolRunner): Promise<OverheadRun> {
  const call = (id: string) => ({ id, name: 'calculator', arguments: '{"expression":"12 * 7"}' });
  const context = { idempotencyKey: 'bench', signal: new AbortController().signal, heartbeat: () => undefined };
  const workflowOf = (count: number) => ({
    calls: Array.from({ length: count }, (_, index) => ({ call: call(`c${index}`), idempotencyKey: `bench/${index}` })),
    startToCloseTimeoutMs: 10_000,
    maximumAttempts: 1,
    initialRetryIntervalMs: 100,
  });
  const timeWorkflow = async (count: number) => {
    const started = performance.now();
    const { results } = await worker.run(workflowOf(count));
    if (results.length !== count || results.some((result) => !result.ok))
      throw new Error('a benchmark tool call failed');
    return performance.now() - started;
  };
  const timeDirectBatch = async () => {
    const started = performance.now();
    for (let index = 0; index < DIRECT_BATCH_SIZE; index++) {
      const result = await runner.run(call(`d${index}`), context);
      if (!result.ok) throw new Error('a direct benchmark tool call failed');
    }
    return (performance.now() - started) / DIRECT_BATCH_SIZE;
  };

  // The warm-up round loads mathjs, JITs both paths and fills connection pools; then the
  // three paths rotate, so none always runs right after another's garbage.
  const batchesPerRound = DIRECT_BATCHES / OVERHEAD_ITERATIONS + 1;
  const [one = [], many = [], direct = []] = await alternatingRounds({
    sides: ['one', 'many', 'direct'] as const,
    rounds: OVERHEAD_ITERATIONS,
    warmupRounds: 1,
    run: async (side) => {
      if (side === 'one') return [await timeWorkflow(1)];
      if (side === 'many') return [await timeWorkflow(ACTIVITY_SLOPE_CALLS + 1)];
      const batches: number[] = [];
      for (let batch = 0; batch < batchesPerRound; batch++) batches.push(await timeDirectBatch());
      return batches;
    },
  });
  const oneSummary = summarizeSamples(one.flat());
  const manySummary = summarizeSamples(many.flat());
  const directSorted = direct.flat().sort((a, b) => a - b);
  const directPerCallMs = directSorted[Math.floor(directSorted.length / 2)] as number;
  const activityPerCallMs = (manySummary.medianMs - oneSummary.medianMs) / ACTIVITY_SLOPE_CALLS;
  return {
    tool: 'calculator',
    directPerCallMs: Math.round(directPerCallMs * 1000) / 1000,
    activityPerCallMs: Math.round(activityPerCallMs * 100) / 100,
    oneCallWorkflow: oneSummary,
    ratio: Math.round(activityPerCallMs / directPerCallMs),
  };
}

/** Runs the benchmark, prints its tables and returns the result. */
export async function run(config: ChassisConfig): Promise<ToolsBenchResult> {
  // A pinned model: these benchmarks measure the harness, not routing.
  const model = config.models.pinned ?? 'gpt-4.1-mini';
  const rig = await startBenchRig(config, { script: lookupScript(QUERIES[0] as string) });
  const server = rig.model;
  let database: BenchDatabase | undefined;
  let worker: ToolWorker | undefined;
  try {
    // A database of its own, so earlier runs' cache entries cannot turn misses into hits.
    database = await openBenchDatabase(config, 'tools');
    const { db } = database;
    const models = rig.gateway({ timeoutMs: 30_000 });
    const uncached = slowLookup();
    const cached = slowLookup();
    // No `db`: the runner cannot cache. With `db`: the MongoDB result cache.
    const noCacheStack = await rig.startStack({ dependencies: { models, tools: new ToolRegistry([uncached.tool]) } });
    const cacheStack = await rig.startStack({ dependencies: { models, tools: new ToolRegistry([cached.tool]), db } });
    progress(`cache workload: ${TASKS} tasks over ${QUERIES.length} distinct queries, without and with the cache…`);
    const cache = [
      await runCacheWorkload(noCacheStack, server, model, 'no cache', uncached.executions),
      await runCacheWorkload(cacheStack, server, model, 'mongodb cache', cached.executions),
    ];

    progress(
      `overhead: 1 vs ${ACTIVITY_SLOPE_CALLS + 1} callTool activities per workflow, ${OVERHEAD_ITERATIONS} runs each, and direct calls…`,
    );
    const registry = new ToolRegistry(builtInTools());
    worker = await startToolWorker({ bundle: await bundleToolCallsWorkflow(), dependencies: { tools: registry, db } });
    const overhead = await measureOverhead(worker, new ToolRunner({ registry, db }));

    const [without, withCache] = cache as [CacheRun, CacheRun];
    printTable({
      title: [
        `tools (1/2): result cache on a repeated-task workload — ${TASKS} agent tasks, ${QUERIES.length} distinct lookups, ${LOOKUP_LATENCY_MS} ms per lookup execution`,
        'agentTaskWorkflow on the real Temporal server; model: the scripted server (a test double, not a model)',
        '',
      ],
      headers: [
        'mode',
        'tasks',
        'tool executions',
        'avoided',
        'cache hits',
        'reported saved',
        'total',
        'task median',
        'task p95',
      ],
      rows: cache.map((entry) => [
        entry.mode,
        String(entry.tasks),
        String(entry.toolExecutions),
        String(entry.executionsAvoided),
        String(entry.cacheHits),
        `${entry.reportedSavedMs} ms`,
        `${entry.totalMs} ms`,
        `${entry.task.medianMs.toFixed(1)} ms`,
        `${entry.task.p95Ms.toFixed(1)} ms`,
      ]),
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    process.stdout.write(
      `cache: ${withCache.executionsAvoided}/${TASKS} executions avoided; total time ratio (cache / no cache) ${(withCache.totalMs / without.totalMs).toFixed(2)}x\n\n`,
    );
    printTable({
      title: [
        'tools (2/2): one tool call (calculator "12 * 7") as a Temporal activity vs the same function called directly',
        `activity cost = (median workflow of ${ACTIVITY_SLOPE_CALLS + 1} calls − median of 1 call) / ${ACTIVITY_SLOPE_CALLS}; Temporal at ${config.temporal.address}; ${os.cpus().length} CPUs, Node ${process.version}`,
        '',
      ],
      headers: ['path', 'per call', 'ratio'],
      rows: [
        ['direct: ToolRunner.run in process', `${overhead.directPerCallMs.toFixed(3)} ms`, '1x'],
        ['callTool activity inside a workflow', `${overhead.activityPerCallMs.toFixed(2)} ms`, `${overhead.ratio}x`],
        ['whole 1-call workflow (start → result)', `${overhead.oneCallWorkflow.medianMs.toFixed(1)} ms`, '—'],
      ],
      align: ['left', 'right', 'right'],
    });

    return {
      description:
        'Result cache on a repeated agent-task workload (tool executions avoided, time reported saved, wall time with and without the MongoDB cache), and the cost of one tool call as a Temporal activity versus calling ToolRunner.run directly. Scripted model server (a test double); simulated lookup latency.',
      temporalAddress: config.temporal.address,
      workload: { tasks: TASKS, distinctQueries: QUERIES.length, lookupLatencyMs: LOOKUP_LATENCY_MS },
      cache,
      overhead,
    };
  } finally {
    await worker?.stop();
    await rig.close();
    await database?.close();
  }
}
