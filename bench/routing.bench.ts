import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../src/contracts/agent-task';
import type { ModelCatalog } from '../src/models/catalog';
import { loadModelCatalog } from '../src/models/load-model-catalog';
import type { ModelScriptInput, RecordedRequest, ScriptedModelServer } from '../src/testing/scripted-model';
import type { TestStack } from '../src/testing/temporal-harness';
import { evenlySpreadPositions } from './support/even-share';
import { describeMachineLoad, watchMachineLoad, type MachineLoad } from './support/machine-load';
import { summarizeSamples, type SampleSummary } from './support/results';
import { alternatingRounds, progress, startBenchRig } from './support/runner';
import { printTable } from './support/table';

/**
 * `routing`: what routing with a cascade saves, on a SIMULATION of model quality. A mixed
 * workload (2/3 simple questions, 1/3 hard calculations that need a tool call) runs three
 * ways side by side, task by task:
 *
 * - always-large: every call pinned to the large tier's first model;
 * - always-small: every call pinned to the small tier's first model (no cascade: a pinned
 *   model has no tier to escalate from);
 * - routed: nothing pinned; the catalog's routing rules pick the tier of each call and a
 *   small-tier output that fails validation escalates once to the large tier.
 *
 * The "models" are the scripted server, a test double of the provider. It is told how good
 * each model is: the large model always answers correctly; the small model answers simple
 * tasks correctly and, on a configurable share of the hard tasks (chosen by task number,
 * evenly spread, the same every run), returns an unusable first step, alternately an empty
 * answer and a tool call with malformed JSON arguments (both are what the cascade's output
 * check catches). Every rule reports fixed token counts, so cost = those tokens × the
 * catalog's prices, the same for a call whichever mode made it.
 *
 * Every task runs with `planning: 'direct'` (one agent loop, no planner): the cascade acts
 * on agent steps, and the catalog routes every plan and synthesis call to the large tier
 * anyway, so a planner would add one large call per task to the routed mode (and a
 * simulated small planner to always-small) and measure that rule instead of the cascade.
 *
 * So the numbers follow from the script's parameters (failure share, token counts, latencies)
 * and the catalog's prices; the benchmark checks that routing, escalation and cost accounting
 * turn them into the expected outcome end to end, on the real engine. It says nothing about
 * how often a real small model fails.
 */

const TASK_COUNT = 30;
/** Every third task is hard (indices 2, 5, 8, …): 20 simple, 10 hard. */
const HARD_EVERY = 3;
/** Share of the hard tasks whose first step the small model gets wrong; `CHASSIS_BENCH_SMALL_FAILURE_SHARE` overrides it. */
const DEFAULT_SMALL_FAILURE_SHARE = 0.5;
/** Tasks run in every mode before measuring (not counted): the first simple and the first hard one. */
const WARMUP_TASKS = 3;
/** Scripted reply delays per tier: large models are slower, as they usually are. */
const LATENCY_MS = { small: 100, large: 300 } as const;

/** Token counts each kind of reply reports (the same whichever model gives it). */
const TOKENS = {
  simpleAnswer: { inputTokens: 320, outputTokens: 30 },
  toolCall: { inputTokens: 450, outputTokens: 35 },
  finalAnswer: { inputTokens: 520, outputTokens: 60 },
  emptyAnswer: { inputTokens: 450, outputTokens: 0 },
  malformedToolCall: { inputTokens: 450, outputTokens: 30 },
} as const;
type ReplyKind = keyof typeof TOKENS;

/** Simple questions with their one right answer; tasks cycle through them. */
const FACTS: readonly (readonly [string, string])[] = [
  ['What is the capital of France?', 'Paris'],
  ['What is the chemical symbol for gold?', 'Au'],
  ['How many days does a leap year have?', '366'],
  ['Which planet of the solar system is the largest?', 'Jupiter'],
  ['Who wrote "Hamlet"?', 'William Shakespeare'],
  ['What is the capital of Japan?', 'Tokyo'],
  ['How many sides does a hexagon have?', '6'],
  ['What gas do plants take in for photosynthesis?', 'Carbon dioxide'],
  ['What is the freezing point of water at sea level, in Celsius?', '0 °C'],
  ['Which ocean is the largest?', 'The Pacific Ocean'],
];

/** A rule as written in a script (defaults not applied). */
type RuleInput = ModelScriptInput['rules'][number];

type SmallFailure = 'empty answer' | 'malformed tool call';

interface BenchTask {
  /** Two digits; the goal starts with `[task NN]`, which is what the script's rules match. */
  id: string;
  kind: 'simple' | 'hard';
  goal: string;
  expectedAnswer: string;
  /** Hard tasks: the calculator expression of the right first step. */
  expression?: string;
  /** Hard tasks the small model gets wrong, and how. */
  smallFailure?: SmallFailure;
}

function buildTasks(smallFailureShare: number): BenchTask[] {
  const hardIndices = Array.from({ length: TASK_COUNT }, (_, index) => index).filter(
    (index) => index % HARD_EVERY === HARD_EVERY - 1,
  );
  const failing = new Set(
    evenlySpreadPositions(hardIndices.length, smallFailureShare).map((position) => hardIndices[position]),
  );
  let failures = 0;
  return Array.from({ length: TASK_COUNT }, (_, index): BenchTask => {
    const id = String(index + 1).padStart(2, '0');
    if (index % HARD_EVERY !== HARD_EVERY - 1) {
      const [question, answer] = FACTS[index % FACTS.length] as readonly [string, string];
      return { id, kind: 'simple', goal: `[task ${id}] ${question} Answer in a few words.`, expectedAnswer: answer };
    }
    const boxes = 12 + index;
    const items = 7 + (index % 5);
    const price = 3 + (index % 4);
    const smallFailure: SmallFailure | undefined = failing.has(index)
      ? failures++ % 2 === 0
        ? 'empty answer'
        : 'malformed tool call'
      : undefined;
    return {
      id,
      kind: 'hard',
      goal: `[task ${id}] An order has ${boxes} boxes of ${items} items at ${price} USD per item. What does it cost in USD? Use the calculator.`,
      expectedAnswer: `The order costs ${boxes * items * price} USD.`,
      expression: `${boxes} * ${items} * ${price}`,
      ...(smallFailure !== undefined ? { smallFailure } : {}),
    };
  });
}

function escapeRegularExpression(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `^(a|b)$` for exact model ids. */
function modelPattern(models: readonly string[]): string {
  return `^(${models.map(escapeRegularExpression).join('|')})$`;
}

/** The script and, for cost checks, the token counts each of its rules reports. */
interface SimulationScript {
  script: ModelScriptInput;
  tokensByRule: Map<string, { inputTokens: number; outputTokens: number }>;
  /** Rules that give a bad small-model output; in the routed mode each must escalate. */
  failureRules: Set<string>;
}

/**
 * The simulation: per task and tier, rules that answer as that tier's models would. Every
 * rule names its task, so a request that fits none (a drift in the harness) gets the
 * server's loud "no rule matches" failure instead of a made-up answer.
 */
function buildScript(tasks: readonly BenchTask[], tiers: { small: string[]; large: string[] }): SimulationScript {
  const rules: RuleInput[] = [];
  const tokensByRule = new Map<string, { inputTokens: number; outputTokens: number }>();
  const failureRules = new Set<string>();
  const add = (rule: Omit<RuleInput, 'usage'>, kind: ReplyKind) => {
    rules.push({ ...rule, usage: TOKENS[kind] });
    tokensByRule.set(rule.name, TOKENS[kind]);
  };
  for (const task of tasks) {
    const lastUser = `^\\[task ${task.id}\\]`;
    for (const tier of ['small', 'large'] as const) {
      const match = { model: modelPattern(tiers[tier]), lastUser };
      const fault = { latencyMs: LATENCY_MS[tier] };
      if (task.kind === 'simple') {
        add(
          { name: `${task.id}-answer@${tier}`, match, fault, reply: { content: task.expectedAnswer } },
          'simpleAnswer',
        );
        continue;
      }
      if (tier === 'small' && task.smallFailure !== undefined) {
        const name = `${task.id}-bad-first-step@small`;
        failureRules.add(name);
        if (task.smallFailure === 'empty answer') {
          add({ name, match: { ...match, hasToolResults: false }, fault, reply: { content: '' } }, 'emptyAnswer');
        } else {
          const rawArguments = `{"expression": "${task.expression ?? ''}"`; // the closing brace is missing
          add(
            {
              name,
              match: { ...match, hasToolResults: false },
              fault,
              reply: { toolCalls: [{ name: 'calculator', rawArguments }] },
            },
            'malformedToolCall',
          );
        }
      }
      add(
        {
          name: `${task.id}-tool-call@${tier}`,
          match: { ...match, hasToolResults: false },
          fault,
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: task.expression ?? '' } }] },
        },
        'toolCall',
      );
      add(
        {
          name: `${task.id}-answer@${tier}`,
          match: { ...match, hasToolResults: true },
          fault,
          reply: { content: 'The order costs {{toolResult:calculator}} USD.' },
        },
        'finalAnswer',
      );
    }
  }
  return { script: { rules }, tokensByRule, failureRules };
}

type ModeName = 'always-large' | 'always-small' | 'routed';

interface Mode {
  name: ModeName;
  /** The pinned model; none for routed. */
  model?: string;
}

/** One task run in one mode. */
export interface TaskOutcome {
  task: string;
  kind: BenchTask['kind'];
  mode: ModeName;
  correct: boolean;
  answer: string;
  costUsd: number;
  escalations: number;
  modelCalls: number;
  smallCalls: number;
  largeCalls: number;
  wallMs: number;
}

interface RunContext {
  stack: TestStack;
  server: ScriptedModelServer;
  catalog: ModelCatalog;
  simulation: SimulationScript;
  tiers: { small: string[]; large: string[] };
}

function modelOf(request: RecordedRequest): string {
  return (request.body as { model?: string } | null)?.model ?? '';
}

/**
 * Runs one task in one mode and checks the harness did its part right: the task completed;
 * every model request was answered by a rule; the result's model calls, cost (server
 * tokens × catalog prices) and escalations match what reached the server; a pinned mode
 * called only its model. Whether the answer is right is the measured outcome, not a check.
 */
async function runTask(context: RunContext, mode: Mode, task: BenchTask): Promise<TaskOutcome> {
  const { stack, server, catalog, simulation, tiers } = context;
  const before = server.requests.length;
  const input: AgentTaskInput = {
    goal: task.goal,
    tools: ['calculator'],
    maxSteps: 4,
    planning: 'direct',
    ...(mode.model !== undefined ? { model: mode.model } : {}),
  };
  const started = performance.now();
  const result: AgentTaskResult = await stack.client.workflow.execute('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `bench-routing-${mode.name}-${task.id}-${randomUUID()}`,
    args: [input],
    // A broken run fails the benchmark instead of hanging it.
    workflowExecutionTimeout: '1 minute',
  });
  const wallMs = performance.now() - started;
  // Tasks run one at a time, so the requests since `before` are this task's.
  const requests = server.requests.slice(before);

  const label = `task ${task.id} (${task.kind}) in mode ${mode.name}`;
  const problems: string[] = [];
  if (result.status !== 'completed') problems.push(`status "${result.status}": ${result.answer}`);
  const unanswered = requests.filter((request) => request.ruleName === null || request.status !== 200);
  if (unanswered.length > 0) problems.push(`${unanswered.length} model request(s) not answered by a rule`);
  if (requests.length !== result.usage.modelCalls) {
    problems.push(`usage.modelCalls ${result.usage.modelCalls} but ${requests.length} requests reached the server`);
  }
  const expectedCost = requests.reduce((sum, request) => {
    const tokens = simulation.tokensByRule.get(request.ruleName ?? '') ?? { inputTokens: 0, outputTokens: 0 };
    return sum + catalog.costOf(modelOf(request), { ...tokens, cachedInputTokens: 0 });
  }, 0);
  if (Math.abs(expectedCost - result.usage.costUsd) > 1e-9) {
    problems.push(`usage.costUsd ${result.usage.costUsd} but the server's tokens × prices make ${expectedCost}`);
  }
  const badOutputs = requests.filter((request) => simulation.failureRules.has(request.ruleName ?? '')).length;
  const expectedEscalations = mode.model === undefined ? badOutputs : 0;
  if (result.usage.escalations !== expectedEscalations) {
    problems.push(`usage.escalations ${result.usage.escalations}, expected ${expectedEscalations}`);
  }
  const otherModels = requests.map(modelOf).filter((model) => mode.model !== undefined && model !== mode.model);
  if (otherModels.length > 0) problems.push(`pinned to ${mode.model} but called ${otherModels.join(', ')}`);
  if (problems.length > 0) throw new Error(`${label} went wrong in the harness: ${problems.join('; ')}`);

  const models = requests.map(modelOf);
  return {
    task: task.id,
    kind: task.kind,
    mode: mode.name,
    correct: result.answer === task.expectedAnswer,
    answer: result.answer,
    costUsd: result.usage.costUsd,
    escalations: result.usage.escalations,
    modelCalls: result.usage.modelCalls,
    smallCalls: models.filter((model) => tiers.small.includes(model)).length,
    largeCalls: models.filter((model) => tiers.large.includes(model)).length,
    wallMs: Math.round(wallMs * 10) / 10,
  };
}

/** One mode's totals over the workload. */
export interface ModeSummary {
  mode: ModeName;
  model: string;
  tasks: number;
  correct: number;
  correctSimple: number;
  correctHard: number;
  modelCalls: number;
  smallCalls: number;
  largeCalls: number;
  escalations: number;
  costUsd: number;
  /** costUsd / correct answers; null when none was correct. */
  costPerCorrectUsd: number | null;
  /** costUsd / the always-large mode's costUsd. */
  costVersusAlwaysLarge: number;
  wall: SampleSummary;
}

/** What `bench/results/routing.json` holds besides name, date and machine. */
export interface RoutingResult {
  description: string;
  simulation: {
    smallFailureShare: number;
    tasks: { total: number; simple: number; hard: number; hardFailedBySmall: number };
    latencyMs: typeof LATENCY_MS;
    tokens: typeof TOKENS;
  };
  temporalAddress: string;
  /** How busy the machine was; it moves the task times, not the costs or the outcomes. */
  machineLoad: MachineLoad;
  modes: ModeSummary[];
  /** routed costUsd / always-large costUsd. */
  routedToAlwaysLargeCostRatio: number;
  outcomes: TaskOutcome[];
}

function smallFailureShare(): number {
  const raw = process.env.CHASSIS_BENCH_SMALL_FAILURE_SHARE;
  if (raw === undefined || raw === '') return DEFAULT_SMALL_FAILURE_SHARE;
  const share = Number(raw);
  if (!(share >= 0 && share <= 1)) {
    throw new Error(
      `CHASSIS_BENCH_SMALL_FAILURE_SHARE is "${raw}": set it to a number from 0 to 1 (the share of hard tasks the small model gets wrong), or unset it for ${DEFAULT_SMALL_FAILURE_SHARE}`,
    );
  }
  return share;
}

function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

function summarize(mode: Mode, outcomes: TaskOutcome[], alwaysLargeCost: number): ModeSummary {
  const sum = (pick: (outcome: TaskOutcome) => number) => outcomes.reduce((total, outcome) => total + pick(outcome), 0);
  const correct = outcomes.filter((outcome) => outcome.correct);
  const costUsd = Math.round(sum((outcome) => outcome.costUsd) * 1e10) / 1e10;
  return {
    mode: mode.name,
    model: mode.model ?? 'routed by the catalog',
    tasks: outcomes.length,
    correct: correct.length,
    correctSimple: correct.filter((outcome) => outcome.kind === 'simple').length,
    correctHard: correct.filter((outcome) => outcome.kind === 'hard').length,
    modelCalls: sum((outcome) => outcome.modelCalls),
    smallCalls: sum((outcome) => outcome.smallCalls),
    largeCalls: sum((outcome) => outcome.largeCalls),
    escalations: sum((outcome) => outcome.escalations),
    costUsd,
    costPerCorrectUsd: correct.length === 0 ? null : costUsd / correct.length,
    costVersusAlwaysLarge: Math.round((costUsd / alwaysLargeCost) * 1000) / 1000,
    wall: summarizeSamples(outcomes.map((outcome) => outcome.wallMs)),
  };
}

/** Runs the benchmark, prints its table and returns the result (every task's outcome included). */
export async function run(config: ChassisConfig): Promise<RoutingResult> {
  const share = smallFailureShare();
  const finishLoadWatch = watchMachineLoad();
  const catalog = await loadModelCatalog(config.models.catalogPath);
  const small = catalog.tiers.small;
  const large = catalog.tiers.large;
  if (small === undefined || small.length === 0 || large === undefined || large.length === 0) {
    throw new Error(
      `the routing benchmark needs tiers "small" and "large" in the model catalog; it has: ${Object.keys(catalog.tiers).join(', ')}`,
    );
  }
  const tiers = { small, large };
  const tasks = buildTasks(share);
  const simulation = buildScript(tasks, tiers);
  const modes: Mode[] = [
    { name: 'always-large', model: large[0] },
    { name: 'always-small', model: small[0] },
    { name: 'routed' },
  ];

  const rig = await startBenchRig(config, { script: simulation.script });
  try {
    const stack = await rig.startStack({ dependencies: { models: rig.gateway({ timeoutMs: 30_000, catalog }) } });
    const context: RunContext = { stack, server: rig.model, catalog, simulation, tiers };

    progress(
      `${WARMUP_TASKS} warm-up tasks, then ${tasks.length} tasks × ${modes.length} modes, one at a time, modes rotating task by task…`,
    );
    // A round is one task in every mode; the warm-up rounds take the first tasks again.
    const outcomes = (
      await alternatingRounds({
        sides: modes,
        rounds: tasks.length,
        warmupRounds: WARMUP_TASKS,
        run: (mode, { index }) => runTask(context, mode, tasks[index] as BenchTask),
      })
    ).flat();

    const outcomesOf = (mode: Mode) => outcomes.filter((outcome) => outcome.mode === mode.name);
    const alwaysLargeCost = outcomesOf(modes[0] as Mode).reduce((total, outcome) => total + outcome.costUsd, 0);
    const summaries = modes.map((mode) => summarize(mode, outcomesOf(mode), alwaysLargeCost));
    const routed = summaries.find((summary) => summary.mode === 'routed') as ModeSummary;
    const simple = tasks.filter((task) => task.kind === 'simple').length;
    const hard = tasks.length - simple;
    const hardFailedBySmall = tasks.filter((task) => task.smallFailure !== undefined).length;
    const machineLoad = finishLoadWatch();

    printTable({
      title: [
        'routing: a mixed workload three ways: always-large, always-small, routed with cascade',
        '*** SIMULATION of model quality by a scripted server, not real models ***',
        `workload: ${tasks.length} tasks (${simple} simple questions, ${hard} hard calculations with a calculator call), planning off (one agent loop each)`,
        `simulated quality: the large model is always right; the small model is right on simple tasks and gets the first step of`,
        `  ${hardFailedBySmall}/${hard} hard tasks wrong (share ${share}; empty answer or malformed tool-call JSON, alternately; CHASSIS_BENCH_SMALL_FAILURE_SHARE)`,
        `cost = the scripted server's fixed token counts × the catalog's prices; always-large = ${large[0]}, always-small = ${small[0]}, routed = the catalog's rules`,
        `scripted latency: small ${LATENCY_MS.small} ms, large ${LATENCY_MS.large} ms per call; Temporal ${config.temporal.address}; ${os.cpus().length} CPUs, Node ${process.version}`,
        `${describeMachineLoad(machineLoad)}; task times move with it, costs and outcomes do not`,
        '',
      ],
      headers: [
        'mode',
        'correct',
        'simple',
        'hard',
        'model calls (small/large)',
        'escalations',
        'cost',
        'cost per correct',
        'vs always-large',
        'median task time',
      ],
      rows: summaries.map((summary) => [
        summary.mode,
        `${summary.correct}/${summary.tasks}`,
        `${summary.correctSimple}/${simple}`,
        `${summary.correctHard}/${hard}`,
        `${summary.modelCalls} (${summary.smallCalls}/${summary.largeCalls})`,
        String(summary.escalations),
        usd(summary.costUsd),
        summary.costPerCorrectUsd === null ? '-' : usd(summary.costPerCorrectUsd),
        `${summary.costVersusAlwaysLarge.toFixed(3)}x`,
        `${summary.wall.medianMs.toFixed(0)} ms`,
      ]),
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    process.stdout.write(
      `\nrouted / always-large cost ratio: ${routed.costVersusAlwaysLarge.toFixed(3)} (${((1 - routed.costVersusAlwaysLarge) * 100).toFixed(1)}% less), with ${routed.correct}/${routed.tasks} correct (simulated quality)\n`,
    );

    return {
      description:
        'SIMULATION of model quality by a scripted server, not real models: a mixed workload (simple questions, hard calculations) run with every call pinned to the large model, pinned to the small model, and routed by the catalog with the cascade. The small model gets a share of the hard tasks wrong by script. Cost = scripted token counts × catalog prices.',
      simulation: {
        smallFailureShare: share,
        tasks: { total: tasks.length, simple, hard, hardFailedBySmall },
        latencyMs: LATENCY_MS,
        tokens: TOKENS,
      },
      temporalAddress: config.temporal.address,
      machineLoad,
      modes: summaries,
      routedToAlwaysLargeCostRatio: routed.costVersusAlwaysLarge,
      outcomes,
    };
  } finally {
    await rig.close();
  }
}
