import type { ModelScriptInput, ScriptRule } from '../../src/testing/scripted-model';

/**
 * The benchmark task of `overhead` and `throughput`: the model asks the calculator for
 * `12 * 7`, then for the last result plus one, `rounds` times in all, and answers with the
 * last result. One round is the classic step (model call → calculator → model call that
 * answers); ten rounds measure what each further step costs.
 */

/** Name of the script rule that answers memory's fact extraction (not a step of the task). */
export const FACTS_RULE = 'facts';
/** Name of the script rule that answers the planner (sessions plan their turns). */
export const PLAN_RULE = 'plan';

/** The goal of a task with `rounds` calculator calls; each count has its own goal, so one script serves all. */
export function countingGoal(rounds: number): string {
  checkRounds(rounds);
  return rounds === 1 ? 'What is 12 * 7?' : `What is 12 * 7, plus one ${rounds - 1} times, one calculator call each?`;
}

/** The answer a task with `rounds` calculator calls must end with. */
export function countingAnswer(rounds: number): string {
  checkRounds(rounds);
  return `The answer is ${83 + rounds}.`;
}

/** Chat requests one task makes: one per calculator call, and the answer. */
export function countingModelCalls(rounds: number): number {
  checkRounds(rounds);
  return rounds + 1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkRounds(rounds: number): void {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${rounds}`);
}

/**
 * One script for tasks of every count in `roundCounts`, with `latencyMs` before each reply.
 * Rules match on the goal (the last user message) and the last calculator result, so the
 * same script answers the bare loop, the plain workflow and Chassis alike. Memory's fact
 * extraction gets an empty list, so remembering costs its model call and no more; the
 * planner (sessions plan each turn) answers that the task is direct.
 */
export function countingScript(roundCounts: readonly number[], latencyMs: number): ModelScriptInput {
  const rules: ScriptRule[] = [
    {
      name: FACTS_RULE,
      match: { system: '^You extract durable facts' },
      reply: { content: '{"facts":[]}' },
      usage: { inputTokens: 200, outputTokens: 5 },
    },
    // Sessions plan each turn: the plan is to answer directly.
    {
      name: PLAN_RULE,
      match: { system: '^You are the planner' },
      reply: { content: '{"mode":"direct","reason":"one calculation"}' },
      usage: { inputTokens: 300, outputTokens: 12 },
    },
  ];
  for (const rounds of [...new Set(roundCounts)]) {
    const lastUser = `^${escapeRegExp(countingGoal(rounds))}$`;
    rules.push({
      name: `rounds-${rounds}-first`,
      match: { lastUser, hasToolResults: false },
      reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
      usage: { inputTokens: 120, outputTokens: 10 },
    });
    for (let round = 2; round <= rounds; round++) {
      const previous = 83 + round - 1;
      rules.push({
        name: `rounds-${rounds}-call-${round}`,
        match: { lastUser, lastToolResult: `^${previous}$` },
        reply: { toolCalls: [{ name: 'calculator', arguments: { expression: `${previous} + 1` } }] },
        usage: { inputTokens: 120 + 30 * round, outputTokens: 10 },
      });
    }
    rules.push({
      name: `rounds-${rounds}-answer`,
      match: { lastUser, lastToolResult: `^${83 + rounds}$` },
      reply: { content: 'The answer is {{toolResult:calculator}}.' },
      usage: { inputTokens: 150 + 30 * rounds, outputTokens: 8 },
    });
  }
  return { latencyMs, rules };
}
