import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../src/contracts/agent-task';
import type { ChatMessage } from '../src/contracts/messages';
import { ModelCatalog } from '../src/models/catalog';
import { ModelGateway } from '../src/models/model-gateway';
import {
  startScriptedModelServer,
  type ModelScriptInput,
  type ScriptedModelServer,
} from '../src/testing/scripted-model';
import { bundleWorkflows, startTestStack, type TestStack } from '../src/testing/temporal-harness';
import { builtInTools } from '../src/tools/builtin';
import { ToolRegistry } from '../src/tools/registry';
import { DEFAULT_SYSTEM_PROMPT } from '../src/workflows/prompts';
import { summarizeSamples, type SampleSummary } from './support/results';
import { printTable } from './support/table';

/**
 * `overhead`: what Chassis adds to one agent step. The same task (model call → calculator →
 * model call that answers) runs two ways against the same scripted model server:
 *
 * - bare: an in-process loop, `ModelGateway.complete` → `ToolRegistry.execute` → `complete`;
 * - chassis: a full `agentTaskWorkflow` execution on the real Temporal server with real
 *   workers (start, workflow tasks, three activities, result).
 *
 * The two alternate run by run (sequentially, never concurrently) so drift on the machine
 * hits both alike. The output is a ratio measured side by side in one run, not an absolute
 * claim: the scripted server is a test double of the provider with a fixed latency.
 */

const GOAL = 'What is 12 * 7?';
const EXPECTED_ANSWER = 'The answer is 84.';
const TOOLS = ['calculator'];

/** Model latencies (per call) to measure, with their run counts; about a minute on 2 cores. */
const PLAN = [
  { modelLatencyMs: 0, warmupRuns: 3, iterations: 30 },
  { modelLatencyMs: 300, warmupRuns: 2, iterations: 10 },
] as const;

/** The script: a calculator call first, then an answer built from the tool's output. */
function scriptWithLatency(latencyMs: number): ModelScriptInput {
  return {
    latencyMs,
    rules: [
      {
        name: 'use-calculator',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
        usage: { inputTokens: 120, outputTokens: 10 },
      },
      {
        name: 'answer',
        match: { hasToolResults: true },
        reply: { content: 'The answer is {{toolResult:calculator}}.' },
        usage: { inputTokens: 150, outputTokens: 8 },
      },
    ],
  };
}

interface Dependencies {
  models: ModelGateway;
  tools: ToolRegistry;
}

/**
 * The bare loop: the calls the workflow makes, in process, with no engine. It mirrors the
 * workflow's messages (same system prompt, same tool definitions) so both send the model
 * identical requests; `checkSameRequests` verifies that.
 */
async function runBare(dependencies: Dependencies, model: string): Promise<string> {
  const tools = dependencies.tools.definitions(TOOLS);
  const messages: ChatMessage[] = [
    { role: 'system', content: DEFAULT_SYSTEM_PROMPT },
    { role: 'user', content: GOAL },
  ];
  for (let step = 1; step <= 2; step++) {
    const result = await dependencies.models.complete({ model, messages, tools, purpose: `step ${step}` });
    if (result.toolCalls.length === 0) return result.content ?? '';
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
  throw new Error('bare loop: the scripted model did not answer within 2 calls; check the script');
}

async function runChassis(stack: TestStack, model: string): Promise<string> {
  // Planning off: the bare loop has no planner, so both sides make the same calls.
  const input: AgentTaskInput = { goal: GOAL, model, tools: TOOLS, maxSteps: 2, planning: 'direct' };
  const result: AgentTaskResult = await stack.client.workflow.execute('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `bench-overhead-${randomUUID()}`,
    args: [input],
    // A broken run fails the benchmark instead of hanging it.
    workflowExecutionTimeout: '2 minutes',
  });
  if (result.status !== 'completed') throw new Error(`chassis run ended "${result.status}": ${result.answer}`);
  return result.answer;
}

/**
 * Times one run and checks it did the same work as every other: the expected answer, and
 * exactly two chat requests reaching the model. These are correctness checks, not timing ones.
 */
async function timeRun(label: string, server: ScriptedModelServer, run: () => Promise<string>): Promise<number> {
  const requestsBefore = server.requests.length;
  const started = performance.now();
  const answer = await run();
  const elapsed = performance.now() - started;
  const calls = server.requests.length - requestsBefore;
  if (answer !== EXPECTED_ANSWER || calls !== 2) {
    throw new Error(
      `${label} run did not do the benchmarked work: answer ${JSON.stringify(answer)} after ${calls} model calls (expected ${JSON.stringify(EXPECTED_ANSWER)} after 2)`,
    );
  }
  return elapsed;
}

/** Request bodies with the scripted server's per-request tool call ids made uniform. */
function normalizedBodies(server: ScriptedModelServer, from: number): string[] {
  return server.requests.slice(from).map((request) => JSON.stringify(request.body).replace(/call_\d+_\d+/g, 'call_ID'));
}

/** Fails unless a bare run and a chassis run send the model byte-identical requests (ids aside). */
async function checkSameRequests(
  server: ScriptedModelServer,
  bare: () => Promise<string>,
  chassis: () => Promise<string>,
) {
  const start = server.requests.length;
  await bare();
  const middle = server.requests.length;
  await chassis();
  const bareBodies = normalizedBodies(server, start).slice(0, middle - start);
  const chassisBodies = normalizedBodies(server, middle);
  if (JSON.stringify(bareBodies) !== JSON.stringify(chassisBodies)) {
    throw new Error(
      `the bare loop and the workflow sent the model different requests, so the comparison would be unfair:\n` +
        `bare:    ${bareBodies.join('\n         ')}\nchassis: ${chassisBodies.join('\n         ')}`,
    );
  }
}

/** One row of the result: both ways at one model latency. */
export interface OverheadMeasurement {
  /** Scripted delay before each model reply, in ms; the task makes two model calls. */
  modelLatencyMs: number;
  warmupRuns: number;
  iterations: number;
  bare: SampleSummary;
  chassis: SampleSummary;
  /** chassis median / bare median. */
  ratioOfMedians: number;
  /** chassis median − bare median, in ms. */
  overheadMs: number;
}

/** What `bench/results/overhead.json` holds besides name, date and machine. */
export interface OverheadResult {
  description: string;
  model: string;
  task: { goal: string; modelCalls: number; toolCalls: number };
  temporalAddress: string;
  measurements: OverheadMeasurement[];
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs the benchmark, prints its table and returns the result (raw samples included). */
export async function run(config: ChassisConfig): Promise<OverheadResult> {
  // A pinned model: these benchmarks measure the harness, not routing.
  const model = config.models.pinned ?? 'gpt-4.1-mini';
  progress('bundling workflows…');
  const bundle = await bundleWorkflows();
  const server = await startScriptedModelServer({ script: scriptWithLatency(0), port: 0 });
  let stack: TestStack | undefined;
  try {
    // One gateway and registry serve both ways: same HTTP client, same keep-alive pool.
    const dependencies: Dependencies = {
      models: new ModelGateway({ baseUrl: server.baseURL, timeoutMs: 30_000 }, new ModelCatalog()),
      tools: new ToolRegistry(builtInTools()),
    };
    try {
      stack = await startTestStack({ bundle, dependencies });
    } catch (error) {
      throw new Error(
        `cannot start workers on Temporal at ${config.temporal.address} (${(error as Error).message}): run "chassis dev up" to start the local stack, or set TEMPORAL_ADDRESS`,
      );
    }
    const chassisStack = stack;
    const bare = () => runBare(dependencies, model);
    const chassis = () => runChassis(chassisStack, model);
    await checkSameRequests(server, bare, chassis);

    const measurements: OverheadMeasurement[] = [];
    for (const { modelLatencyMs, warmupRuns, iterations } of PLAN) {
      server.setScript(scriptWithLatency(modelLatencyMs));
      progress(`model latency ${modelLatencyMs} ms: ${warmupRuns} warm-up + ${iterations} runs each way…`);
      for (let index = 0; index < warmupRuns; index++) {
        await timeRun('bare', server, bare);
        await timeRun('chassis', server, chassis);
      }
      const bareSamples: number[] = [];
      const chassisSamples: number[] = [];
      for (let index = 0; index < iterations; index++) {
        // Alternate which goes first, so neither always follows the other's garbage.
        if (index % 2 === 0) {
          bareSamples.push(await timeRun('bare', server, bare));
          chassisSamples.push(await timeRun('chassis', server, chassis));
        } else {
          chassisSamples.push(await timeRun('chassis', server, chassis));
          bareSamples.push(await timeRun('bare', server, bare));
        }
      }
      const bareSummary = summarizeSamples(bareSamples);
      const chassisSummary = summarizeSamples(chassisSamples);
      measurements.push({
        modelLatencyMs,
        warmupRuns,
        iterations,
        bare: bareSummary,
        chassis: chassisSummary,
        ratioOfMedians: Math.round((chassisSummary.medianMs / bareSummary.medianMs) * 100) / 100,
        overheadMs: Math.round((chassisSummary.medianMs - bareSummary.medianMs) * 10) / 10,
      });
    }

    printTable({
      title: [
        'overhead: one agent step (2 model calls + 1 calculator call), bare in-process loop vs Chassis (agentTaskWorkflow)',
        'model: the scripted server, a test double of the provider (not a model) with a fixed delay per call',
        `Temporal: ${config.temporal.address}, real workers in this process; ${os.cpus().length} CPUs, Node ${process.version}`,
        'bare and chassis runs alternate in one process; compare the ratio, not the absolute times',
        '',
      ],
      headers: [
        'model latency',
        'runs',
        'bare median',
        'bare p95',
        'chassis median',
        'chassis p95',
        'ratio',
        'overhead',
      ],
      rows: measurements.map((measurement) => [
        `${measurement.modelLatencyMs} ms/call`,
        String(measurement.iterations),
        `${measurement.bare.medianMs.toFixed(1)} ms`,
        `${measurement.bare.p95Ms.toFixed(1)} ms`,
        `${measurement.chassis.medianMs.toFixed(1)} ms`,
        `${measurement.chassis.p95Ms.toFixed(1)} ms`,
        `${measurement.ratioOfMedians.toFixed(2)}x`,
        `${measurement.overheadMs >= 0 ? '+' : ''}${measurement.overheadMs.toFixed(1)} ms`,
      ]),
      align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });

    return {
      description:
        'One agent step (model call → calculator → model call) done by a bare in-process loop and by agentTaskWorkflow on Temporal, against the same scripted model server (a test double, not a model). Ratio = chassis median / bare median; overhead = their difference.',
      model,
      task: { goal: GOAL, modelCalls: 2, toolCalls: 1 },
      temporalAddress: config.temporal.address,
      measurements,
    };
  } finally {
    await stack?.stop();
    await server.close();
  }
}
