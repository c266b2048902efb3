import type { ModelScriptInput } from '../scripted-model';

/** The Chassis name of the side-effecting tool: server `chaos`, tool `record_effect`. */
export const RECORD_EFFECT_TOOL = 'chaos__record_effect';

/** One chaos task: its label is unique and appears in its goal, so every request can be traced to it. */
export interface ChaosTask {
  /** Scenario the task belongs to (the tool's `task` argument). */
  scenario: string;
  /** Unique label of the task's one effect. */
  label: string;
}

/** Provider faults of a storm, as fractions of all chat requests. */
export interface StormOptions {
  /** Answered 429 with `Retry-After: 1`. @default 0.15 */
  rateLimited?: number;
  /** Answered 500. @default 0.15 */
  serverErrors?: number;
  /** Never answered: the client's own timeout (`OPENAI_TIMEOUT_MS`) ends them. @default 0.03 */
  timeouts?: number;
  /** Of the requests that would call the tool, the fraction that get a malformed tool call instead. @default 0.1 */
  malformedToolCalls?: number;
  /** Seed of the draws. @default 1 */
  seed?: number;
}

/** Options of {@link chaosModelScript}. */
export interface ChaosScriptOptions {
  tasks: readonly ChaosTask[];
  /** Delay of every chat and embeddings reply, so kills land during model calls. @default 0 */
  latencyMs?: number;
  /** Add a provider storm. @default none */
  storm?: StormOptions;
}

/** The goal of a chaos task; the label in it is how the script and the counts find the task. */
export function chaosGoal(task: ChaosTask): string {
  return `Chaos task ${task.label}: record the effect "${task.label}" exactly once with the ${RECORD_EFFECT_TOOL} tool, then confirm it.`;
}

function escapeRegularExpression(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The chance a rule must have so that, tried after rules that took `taken` of the requests,
 * it takes `share` of all requests: the draws of rules are sequential.
 */
export function conditionalProbability(share: number, taken: number): number {
  if (share <= 0) return 0;
  if (taken >= 1) return 1;
  return Math.min(1, share / (1 - taken));
}

/**
 * The model script of a chaos scenario. For each task: the first step calls
 * `chaos__record_effect` with the task's label; a step after an invalid-arguments
 * observation calls it again (a model corrects its own malformed call); any other tool
 * result gets the answer. Facts extraction (the task's memory) gets a fact without labels,
 * so recalled memory never points one task's rules at another. A storm puts probabilistic
 * 429s, 500s, hangs and malformed tool calls in front of everything.
 */
export function chaosModelScript(options: ChaosScriptOptions): ModelScriptInput {
  const rules: ModelScriptInput['rules'] = [];
  const storm = options.storm;
  if (storm !== undefined) {
    const rateLimited = storm.rateLimited ?? 0.15;
    const serverErrors = storm.serverErrors ?? 0.15;
    const timeouts = storm.timeouts ?? 0.03;
    rules.push(
      { name: 'storm-429', probability: rateLimited, fault: { status: 429, retryAfterSeconds: 1 } },
      {
        name: 'storm-500',
        probability: conditionalProbability(serverErrors, rateLimited),
        fault: { status: 500 },
      },
      {
        name: 'storm-timeout',
        probability: conditionalProbability(timeouts, rateLimited + serverErrors),
        fault: { hang: true },
      },
      {
        name: 'storm-malformed-tool-call',
        match: { toolsOffered: [RECORD_EFFECT_TOOL], hasToolResults: false },
        probability: storm.malformedToolCalls ?? 0.1,
        reply: { toolCalls: [{ name: RECORD_EFFECT_TOOL, rawArguments: '{"task": "chaos", "label": ' }] },
      },
    );
  }
  rules.push({
    name: 'facts',
    match: { system: '^You extract durable facts' },
    reply: {
      content: JSON.stringify({
        facts: [{ text: 'The chaos suite records effects with the record_effect tool.', category: 'fact' }],
      }),
    },
  });
  for (const task of options.tasks) {
    const goal = escapeRegularExpression(task.label);
    const call = { toolCalls: [{ name: RECORD_EFFECT_TOOL, arguments: { task: task.scenario, label: task.label } }] };
    rules.push(
      { name: `effect-${task.label}`, match: { lastUser: goal, hasToolResults: false }, reply: call },
      {
        name: `retry-${task.label}`,
        match: { lastUser: goal, lastToolResult: 'Tool\\.InvalidArguments' },
        reply: call,
      },
      {
        name: `answer-${task.label}`,
        match: { lastUser: goal, hasToolResults: true },
        reply: { content: `Done with ${task.label}: {{lastToolResult}}` },
      },
    );
  }
  return {
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(storm?.seed === undefined ? {} : { seed: storm.seed }),
    rules,
  };
}
