import { ActivityFailure, patched } from '@temporalio/workflow';
import type { ChatMessage } from '../../contracts/messages';
import type { ModelSelection, RouteDecision } from '../../contracts/models';
import type { Usage } from '../../contracts/usage';
import { modelCallAllowance } from '../budget';
import { estimateMessagesTokens } from '../../shared/estimate-tokens';
import { SYNTHESIS_SYSTEM_PROMPT } from '../planning/planner-prompts';
import { callModelRouted, isModelUnavailable } from '../routed-model-call';
import type { SubtaskOutcome } from './run-subtasks';

/** How much of each subtask's answer the synthesis sees; keeps the prompt and history bounded. */
const MAX_RESULT_CHARS = 6_000;

/** The synthesis prompt: the goal, then each part's result or why it is missing. */
export function synthesisMessages(goal: string, outcomes: SubtaskOutcome[], instructions: string[]): ChatMessage[] {
  const parts = outcomes.map(({ subtask, status, answer, error }) => {
    const header = `### ${subtask.id}: ${subtask.title} (${status})`;
    if (status === 'completed') {
      const text = answer ?? '';
      return `${header}\n${text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}…` : text}`;
    }
    return `${header}\nMISSING: ${error ?? status}`;
  });
  const extra =
    instructions.length > 0
      ? `\n\nAdditional instructions:\n${instructions.map((line) => `- ${line}`).join('\n')}`
      : '';
  return [
    { role: 'system', content: SYNTHESIS_SYSTEM_PROMPT },
    { role: 'user', content: `Task: ${goal}${extra}\n\nSubtask results:\n\n${parts.join('\n\n')}` },
  ];
}

/** Marks runs that skip a synthesis the token budget cannot pay for (older runs made the call). */
const SYNTHESIS_BUDGET_PATCH = 'synthesis-budget-guard';

/** What the synthesis produced. */
export interface SynthesisOutcome {
  answer: string;
  route?: RouteDecision;
  usage?: Usage;
  note?: string;
  /** Set when the budget left no room for the synthesis call; the answer lists the parts. */
  stopReason?: string;
}

/** The parts' results, labelled: the answer when no model could synthesize them. */
function listedParts(outcomes: SubtaskOutcome[]): string {
  return outcomes
    .map(
      ({ subtask, status, answer, error: reason }) =>
        `${subtask.title}: ${status === 'completed' ? answer : `missing (${reason ?? status})`}`,
    )
    .join('\n');
}

/**
 * Combines subtask results into the answer with a model, its output capped by what is left
 * of the token budget. The task still answers — the parts' results, labelled, with a note —
 * when every model of the chain fails, when the answer is empty, or when the budget cannot
 * pay for the call.
 *
 * @param tokensLeft what is left of the task's token budget, or undefined without one
 */
export async function synthesize(
  goal: string,
  outcomes: SubtaskOutcome[],
  instructions: string[],
  selection: ModelSelection,
  tokensLeft?: number,
): Promise<SynthesisOutcome> {
  const messages = synthesisMessages(goal, outcomes, instructions);
  const contextTokens = estimateMessagesTokens(messages);
  const allowance = modelCallAllowance(tokensLeft, contextTokens);
  if (allowance.stop !== undefined && patched(SYNTHESIS_BUDGET_PATCH)) {
    return {
      answer: listedParts(outcomes),
      note: 'no synthesis: the budget had no room for it; the parts are listed as they are',
      stopReason: allowance.stop,
    };
  }
  try {
    const { result, route, usage, problem } = await callModelRouted({
      selection,
      purpose: 'synthesize',
      messages,
      ...(allowance.stop === undefined ? { maxOutputTokens: allowance.maxOutputTokens } : {}),
      contextTokens,
      label: 'synthesize',
    });
    if (problem !== undefined) {
      const note = `the synthesis gave no usable answer (${problem} from ${route.model}); the parts are listed as they are`;
      return { answer: listedParts(outcomes), route, usage, note };
    }
    return { answer: result.content ?? '', route, usage };
  } catch (error) {
    if (!isModelUnavailable(error)) throw error;
    return {
      answer: listedParts(outcomes),
      note: `the synthesis model failed (${error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message}); the parts are listed as they are`,
    };
  }
}
