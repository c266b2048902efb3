import type { ModelSelection, RouteDecision } from '../../contracts/models';
import type { SessionTurn } from '../../contracts/session';
import type { Usage } from '../../contracts/usage';
import { estimateMessagesTokens } from '../context/estimate-tokens';
import { callModelRouted } from '../routed-model-call';
import { turnsAsText } from './session-memory';

/** The summarizer's instructions; the scripted test model recognises the first words. */
export const SUMMARIZER_SYSTEM_PROMPT = [
  'You are the summarizer of an agent harness.',
  'Merge the earlier summary and the new turns into one short summary of the conversation.',
  'Keep every fact, name, number, preference and decision the user may refer to later; drop small talk.',
].join(' ');

/** Folds turns into the running summary with a (small, by routing) model. */
export async function summarizeTurns(
  previous: string,
  turns: SessionTurn[],
  selection: ModelSelection,
): Promise<{ summary: string; route: RouteDecision; usage: Usage }> {
  const messages = [
    { role: 'system' as const, content: SUMMARIZER_SYSTEM_PROMPT },
    {
      role: 'user' as const,
      content: `Earlier summary:\n${previous || '(none)'}\n\nNew turns:\n${turnsAsText(turns)}`,
    },
  ];
  const { result, route, usage } = await callModelRouted({
    selection,
    purpose: 'summarize',
    messages,
    contextTokens: estimateMessagesTokens(messages),
    label: 'summarize session',
  });
  return { summary: result.content ?? previous, route, usage };
}
