import { ActivityFailure } from '@temporalio/workflow';
import type { ChatMessage } from '../../contracts/messages';
import type { ModelSelection, RouteDecision } from '../../contracts/models';
import type { Usage } from '../../contracts/usage';
import { estimateMessagesTokens } from '../context/estimate-tokens';
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

/** What the synthesis produced. */
export interface SynthesisOutcome {
  answer: string;
  route?: RouteDecision;
  usage?: Usage;
  note?: string;
}

/**
 * Combines subtask results into the answer with a model. If every model of the chain
 * fails, the task still answers: the parts' results, labelled, with a note.
 */
export async function synthesize(
  goal: string,
  outcomes: SubtaskOutcome[],
  instructions: string[],
  selection: ModelSelection,
): Promise<SynthesisOutcome> {
  const messages = synthesisMessages(goal, outcomes, instructions);
  try {
    const { result, route, usage } = await callModelRouted({
      selection,
      purpose: 'synthesize',
      messages,
      contextTokens: estimateMessagesTokens(messages),
      label: 'synthesize',
    });
    return { answer: result.content ?? '', route, usage };
  } catch (error) {
    if (!isModelUnavailable(error)) throw error;
    const fallback = outcomes
      .map(
        ({ subtask, status, answer, error: reason }) =>
          `${subtask.title}: ${status === 'completed' ? answer : `missing (${reason ?? status})`}`,
      )
      .join('\n');
    return {
      answer: fallback,
      note: `the synthesis model failed (${error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : (error as Error).message}); the parts are listed as they are`,
    };
  }
}
