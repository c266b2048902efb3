import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../src/contracts/agent-task';
import { loadModelCatalog } from '../src/models/load-model-catalog';
import type { ModelScriptInput, ScriptedModelServer } from '../src/testing/scripted-model';
import type { TestStack } from '../src/testing/temporal-harness';
import { fitLine } from './support/linear-fit';
import { peakConcurrency, runsOneAfterAnother, type TimeInterval } from './support/intervals';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { summarizeSamples, type SampleSummary } from './support/results';
import { alternatingRounds, progress, startBenchRig } from './support/runner';
import { printTable } from './support/table';

/**
 * `orchestration`: what decomposition costs. The same N subtasks, each answered by one
 * model call, run through the real planner path of `agentTaskWorkflow` two ways:
 *
 * - parallel: the plan has N independent subtasks, so N `subtaskWorkflow` children run at once;
 * - sequential: the plan chains them (each depends on the previous), so the children run
 *   one after another.
 *
 * Both make the same N + 2 model calls (plan, N parts, synthesis) to the scripted server, a
 * test double of the provider with a fixed delay per call. With that delay L, the ideal
 * wall times are 3·L (parallel) and (N + 2)·L (sequential); whatever the runs take beyond
 * that is the engine's (and this process's) overhead. The overhead per child workflow is
 * read three ways:
 *
 * 1. (parallel wall − 3·L) / N: the whole overhead of a parallel run spread over its children
 *    (it includes the task's fixed costs: start, planning, synthesis, result);
 * 2. the slope of wall time over N (least squares over every run): in the sequential shape,
 *    slope − L is what one more child on the critical path costs, fixed costs cancelled; in
 *    the parallel shape the slope is what one more concurrent child adds (ideally 0);
 * 3. a child's own start → close time from `describe()` (server timestamps) minus L: the
 *    child's workflow tasks and its model activity's scheduling, not the parent's side.
 *
 * The model is pinned (no routing): routing is measured by `bench -- routing`, and pinning
 * keeps every call's model, and so the scripted rules, the same in both shapes.
 */

/** Scripted delay of every model reply; large against the engine's overhead, as real models are. */
const MODEL_LATENCY_MS = 500;
/**
 * Subtask counts to measure. 6 is the most a plan may hold (`MAX_SUBTASKS` in
 * `src/workflows/agent-task.ts`); a plan of 8 is rejected by plan validation, so 8 cannot be
 * measured through the planner path without changing that limit.
 */
const SUBTASK_COUNTS: readonly number[] = [2, 4, 6];
/** Warm-up rounds (every N, both shapes), not counted. */
const WARMUP_RUNS = 1;
/** Measured rounds; each runs every N in both shapes. About 2.5 minutes in all on 2 cores. */
const ITERATIONS = 6;

const PLANNER = '^You are the planner';
const SYNTHESIZER = '^You are the synthesizer';

type Shape = 'parallel' | 'sequential';
const SHAPES: readonly Shape[] = ['parallel', 'sequential'];

function partId(index: number): string {
  return `part-${index}`;
}

function partTitle(index: number): string {
  return `Part ${index}`;
}

function partAnswer(index: number): string {
  return `RESULT-${index}`;
}

function expectedAnswer(count: number): string {
  return `Combined ${count} parts.`;
}

function goalFor(shape: Shape, count: number): string {
  return shape === 'parallel'
    ? `Benchmark: answer ${count} independent parts and combine them.`
    : `Benchmark: answer ${count} parts, each building on the previous one, and combine them.`;
}

/** The plan the scripted planner returns: N parts, independent or chained. */
function planFor(shape: Shape, count: number): string {
  return JSON.stringify({
    mode: 'decompose',
    reason: shape === 'parallel' ? 'independent parts' : 'each part needs the one before',
    subtasks: Array.from({ length: count }, (_, offset) => {
      const index = offset + 1;
      return {
        id: partId(index),
        title: partTitle(index),
        instructions: `Answer part ${index} of the benchmark.`,
        dependsOn: shape === 'sequential' && index > 1 ? [partId(index - 1)] : [],
        tools: [],
      };
    }),
  });
}

/**
 * One plan call, one call per part, one synthesis call; each rule answers once, so an
 * extra call finds no rule and the server fails it loudly instead of inventing an answer.
 */
function scriptFor(shape: Shape, count: number): ModelScriptInput {
  return {
    latencyMs: MODEL_LATENCY_MS,
    rules: [
      { name: 'plan', match: { system: PLANNER }, times: 1, reply: { content: planFor(shape, count) } },
      ...Array.from({ length: count }, (_, offset) => ({
        name: partId(offset + 1),
        // The subtask prompt has "Your part: <title>" then a newline and the instructions.
        match: { lastUser: `Your part: ${partTitle(offset + 1)}\\n` },
        times: 1,
        reply: { content: partAnswer(offset + 1) },
      })),
      { name: 'synthesis', match: { system: SYNTHESIZER }, times: 1, reply: { content: expectedAnswer(count) } },
    ],
  };
}

/** What one run measured. */
interface RunSample {
  wallMs: number;
  /** Each child's start → close time (server timestamps) minus its one model call's scripted delay. */
  childOverheadsMs: number[];
  /** Most children open at once, from their start and close times. */
  peakChildren: number;
}

function requestText(server: ScriptedModelServer, ruleName: string): string {
  const request = server.requests.find((candidate) => candidate.ruleName === ruleName);
  return JSON.stringify(request?.body ?? null);
}

/**
 * Runs one task and checks it did the benchmarked work: completed, decomposed into the N
 * planned subtasks, all completed, the expected answer, exactly N + 2 model calls each
 * answered by its rule, each part's result passed on (to the synthesis, and in a chain to
 * the next part), and the children's lifetimes in the planned shape. Correctness checks,
 * not timing ones.
 */
async function runOnce(
  stack: TestStack,
  server: ScriptedModelServer,
  model: string,
  shape: Shape,
  count: number,
): Promise<RunSample> {
  server.setScript(scriptFor(shape, count));
  const input: AgentTaskInput = { goal: goalFor(shape, count), model, tools: [], maxSteps: 2 };
  const label = `${shape} N=${count}`;
  const started = performance.now();
  const result: AgentTaskResult = await stack.client.workflow.execute('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `bench-orchestration-${shape}-${count}-${randomUUID()}`,
    args: [input],
    // A broken run fails the benchmark instead of hanging it.
    workflowExecutionTimeout: '2 minutes',
  });
  const wallMs = performance.now() - started;

  const problems: string[] = [];
  if (result.status !== 'completed') problems.push(`status "${result.status}"`);
  if (result.plan.mode !== 'decompose')
    problems.push(`plan mode "${result.plan.mode}" (notes: ${result.notes.join('; ')})`);
  if (result.answer !== expectedAnswer(count)) problems.push(`answer ${JSON.stringify(result.answer)}`);
  const notCompleted = result.subtasks.filter((subtask) => subtask.status !== 'completed');
  if (result.subtasks.length !== count || notCompleted.length > 0) {
    problems.push(
      `subtasks ${result.subtasks.map((subtask) => `${subtask.id}:${subtask.status}`).join(', ') || '(none)'}`,
    );
  }
  const unanswered = server.requests.filter((request) => request.ruleName === null || request.status !== 200);
  if (server.requests.length !== count + 2 || unanswered.length > 0 || result.usage.modelCalls !== count + 2) {
    problems.push(
      `${server.requests.length} model requests (${unanswered.length} not answered by a rule), usage.modelCalls ${result.usage.modelCalls}; expected ${count + 2}`,
    );
  }
  const synthesisRequest = requestText(server, 'synthesis');
  for (let index = 1; index <= count; index++) {
    if (!synthesisRequest.includes(partAnswer(index))) problems.push(`the synthesis did not see ${partAnswer(index)}`);
    if (shape === 'sequential' && index > 1 && !requestText(server, partId(index)).includes(partAnswer(index - 1))) {
      problems.push(`${partId(index)} did not receive the result of ${partId(index - 1)}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`${label} run did not do the benchmarked work: ${problems.join('; ')}`);
  }

  // The children's own histories, in plan order.
  const descriptions = await Promise.all(
    result.subtasks.map((subtask) => stack.client.workflow.getHandle(subtask.workflowId).describe()),
  );
  const intervals: TimeInterval[] = descriptions.map((description) => {
    if (description.status.name !== 'COMPLETED' || description.closeTime === undefined) {
      throw new Error(`${label}: child ${description.workflowId} is ${description.status.name}, expected COMPLETED`);
    }
    return { startMs: description.startTime.getTime(), endMs: description.closeTime.getTime() };
  });
  const peakChildren = peakConcurrency(intervals);
  // Structural, not timing: a chain cannot overlap, and N independent children that never
  // overlap would mean the parallel path did not run them in parallel at all.
  if (shape === 'sequential' && !runsOneAfterAnother(intervals)) {
    throw new Error(`${label}: a chained child started before the one it depends on closed`);
  }
  if (shape === 'parallel' && peakChildren < 2) {
    throw new Error(`${label}: the independent children never ran at the same time`);
  }
  return {
    wallMs,
    childOverheadsMs: intervals.map((interval) => interval.endMs - interval.startMs - MODEL_LATENCY_MS),
    peakChildren,
  };
}

/** One row of the result: both shapes at one subtask count. */
export interface OrchestrationMeasurement {
  subtasks: number;
  iterations: number;
  parallel: SampleSummary;
  sequential: SampleSummary;
  /** sequential median / parallel median. */
  ratioOfMedians: number;
  /** (N + 2) / 3: the ratio if the engine cost nothing. */
  idealRatio: number;
  /** Parallel median − 3·L: the engine's overhead on a parallel run. */
  parallelOverheadMs: number;
  /** {@link parallelOverheadMs} / N. */
  parallelOverheadPerChildMs: number;
  /** Sequential median − (N + 2)·L. */
  sequentialOverheadMs: number;
  /** {@link sequentialOverheadMs} / N. */
  sequentialOverheadPerChildMs: number;
  /** Children's start → close minus L, over every child of every run of each shape. */
  childLifeOverhead: { parallel: SampleSummary; sequential: SampleSummary };
  /** The fewest children seen open at once in a parallel run (N when they all overlapped every time). */
  minPeakParallelChildren: number;
}

/** What `bench/results/orchestration.json` holds besides name, date and machine. */
export interface OrchestrationResult {
  description: string;
  model: string;
  modelLatencyMs: number;
  temporalAddress: string;
  /** How busy the machine was; other processes competing for the CPUs slow and spread the timings. */
  machineLoad: MachineLoad;
  measurements: OrchestrationMeasurement[];
  /** Least-squares slope of wall time over N, over every run, in ms per child. */
  slopePerChild: {
    parallelMs: number;
    sequentialMs: number;
    /** sequentialMs − L: the engine's cost of one more child on the critical path. */
    sequentialMinusModelLatencyMs: number;
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function signed(milliseconds: number): string {
  return `${milliseconds >= 0 ? '+' : ''}${milliseconds.toFixed(1)} ms`;
}

function measure(count: number, parallelRuns: RunSample[], sequentialRuns: RunSample[]): OrchestrationMeasurement {
  const parallel = summarizeSamples(parallelRuns.map((run) => run.wallMs));
  const sequential = summarizeSamples(sequentialRuns.map((run) => run.wallMs));
  const parallelOverheadMs = parallel.medianMs - 3 * MODEL_LATENCY_MS;
  return {
    subtasks: count,
    iterations: parallelRuns.length,
    parallel,
    sequential,
    ratioOfMedians: Math.round((sequential.medianMs / parallel.medianMs) * 100) / 100,
    idealRatio: Math.round(((count + 2) / 3) * 100) / 100,
    parallelOverheadMs: round(parallelOverheadMs),
    parallelOverheadPerChildMs: round(parallelOverheadMs / count),
    sequentialOverheadMs: round(sequential.medianMs - (count + 2) * MODEL_LATENCY_MS),
    sequentialOverheadPerChildMs: round((sequential.medianMs - (count + 2) * MODEL_LATENCY_MS) / count),
    childLifeOverhead: {
      parallel: summarizeSamples(parallelRuns.flatMap((run) => run.childOverheadsMs)),
      sequential: summarizeSamples(sequentialRuns.flatMap((run) => run.childOverheadsMs)),
    },
    minPeakParallelChildren: Math.min(...parallelRuns.map((run) => run.peakChildren)),
  };
}

/** Runs the benchmark, prints its tables and returns the result (raw samples included). */
export async function run(config: ChassisConfig): Promise<OrchestrationResult> {
  // Pinned: this benchmark measures the engine, not routing (see the module comment).
  const model = config.models.pinned ?? 'gpt-4.1-mini';
  const finishLoadWatch = watchMachineLoad();
  const catalog = await loadModelCatalog(config.models.catalogPath);
  const rig = await startBenchRig(config, { script: scriptFor('parallel', 2) });
  try {
    const stack = await rig.startStack({ dependencies: { models: rig.gateway({ timeoutMs: 30_000, catalog }) } });
    // Every round runs every N, both shapes, so drift in the machine's load spreads over all
    // of them instead of landing on one N (which would also bend the slope over N).
    const sides = SUBTASK_COUNTS.flatMap((count) => SHAPES.map((shape) => ({ count, shape })));
    const samples = await alternatingRounds({
      sides,
      rounds: ITERATIONS,
      warmupRounds: WARMUP_RUNS,
      onRound: ({ index, warmup }) =>
        progress(
          `${warmup ? 'warm-up round' : `round ${index + 1}/${ITERATIONS}`}: N = ${SUBTASK_COUNTS.join(', ')}, both shapes…`,
        ),
      run: ({ count, shape }) => runOnce(stack, rig.model, model, shape, count),
    });
    const runsOf = new Map(
      SUBTASK_COUNTS.map((count) => {
        const of = (shape: Shape) =>
          samples[sides.findIndex((side) => side.count === count && side.shape === shape)] ?? [];
        return [count, { parallel: of('parallel'), sequential: of('sequential') }];
      }),
    );
    const measurements = SUBTASK_COUNTS.map((count) => {
      const runs = runsOf.get(count) as { parallel: RunSample[]; sequential: RunSample[] };
      return measure(count, runs.parallel, runs.sequential);
    });
    const points = (shape: Shape) =>
      SUBTASK_COUNTS.flatMap((count) =>
        (runsOf.get(count)?.[shape] ?? []).map((sample): [number, number] => [count, sample.wallMs]),
      );
    const parallelPoints = points('parallel');
    const sequentialPoints = points('sequential');
    const sequentialSlope = fitLine(sequentialPoints).slope;
    const slopePerChild = {
      parallelMs: round(fitLine(parallelPoints).slope),
      sequentialMs: round(sequentialSlope),
      sequentialMinusModelLatencyMs: round(sequentialSlope - MODEL_LATENCY_MS),
    };

    const latency = MODEL_LATENCY_MS;
    const machineLoad = finishLoadWatch();
    printTable({
      title: [
        'orchestration: N subtasks as child workflows, independent (parallel) vs chained (sequential), via the planner',
        `model: the scripted server, a test double of the provider (not a model), ${latency} ms per call; pinned to ${model}`,
        `each run: 1 plan call + N subtask calls + 1 synthesis call; ideal wall = 3 x ${latency} ms parallel, (N+2) x ${latency} ms sequential`,
        `Temporal: ${config.temporal.address}, real workers in this process; ${os.cpus().length} CPUs, Node ${process.version}`,
        describeMachineLoad(machineLoad),
        'N and shapes interleave run by run in one process; compare the ratios, not the absolute times',
        '',
      ],
      headers: [
        'N',
        'runs',
        'parallel median',
        'parallel p95',
        'sequential median',
        'sequential p95',
        'seq/par',
        'ideal seq/par',
        'children at once',
      ],
      rows: measurements.map((measurement) => [
        String(measurement.subtasks),
        String(measurement.iterations),
        `${measurement.parallel.medianMs.toFixed(1)} ms`,
        `${measurement.parallel.p95Ms.toFixed(1)} ms`,
        `${measurement.sequential.medianMs.toFixed(1)} ms`,
        `${measurement.sequential.p95Ms.toFixed(1)} ms`,
        `${measurement.ratioOfMedians.toFixed(2)}x`,
        `${measurement.idealRatio.toFixed(2)}x`,
        `${measurement.minPeakParallelChildren}/${measurement.subtasks}`,
      ]),
      align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    printTable({
      title: [
        '',
        'engine overhead per child workflow (medians; L = model latency)',
        '  overhead = wall - ideal (3L parallel, (N+2)L sequential), and that / N (fixed costs of the task included)',
        '  child start→close - L: from describe() of every child (server timestamps), in parallel / sequential runs',
        '',
      ],
      headers: [
        'N',
        'parallel overhead',
        'per child (/N)',
        'sequential overhead',
        'per child (/N)',
        'child start→close - L (par)',
        '(seq)',
      ],
      rows: measurements.map((measurement) => [
        String(measurement.subtasks),
        signed(measurement.parallelOverheadMs),
        signed(measurement.parallelOverheadPerChildMs),
        signed(measurement.sequentialOverheadMs),
        signed(measurement.sequentialOverheadPerChildMs),
        signed(measurement.childLifeOverhead.parallel.medianMs),
        signed(measurement.childLifeOverhead.sequential.medianMs),
      ]),
      align: ['right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    printTable({
      title: [
        '',
        `one more child, from the least-squares slope of wall time over N = ${SUBTASK_COUNTS.join(', ')} (every run; fixed costs cancel)`,
        '',
      ],
      headers: ['shape', 'wall time per extra child', 'minus L', 'ideal'],
      rows: [
        [
          'sequential',
          signed(slopePerChild.sequentialMs),
          signed(slopePerChild.sequentialMinusModelLatencyMs),
          `+${latency}.0 ms`,
        ],
        ['parallel', signed(slopePerChild.parallelMs), '', '+0.0 ms'],
      ],
      align: ['left', 'right', 'right', 'right'],
    });

    return {
      description:
        'N subtasks (one model call each) run by agentTaskWorkflow through the planner as child workflows, independent (parallel) or chained (sequential), against the scripted model server (a test double, not a model) with a fixed delay per call. Ratio = sequential median / parallel median; overheads are wall times minus the ideal critical path of model delays.',
      model,
      modelLatencyMs: MODEL_LATENCY_MS,
      temporalAddress: config.temporal.address,
      machineLoad,
      measurements,
      slopePerChild,
    };
  } finally {
    await rig.close();
  }
}
