import type { ChatMessage } from '../../contracts/messages';
import type { ModelSelection } from '../../contracts/models';
import type { Usage } from '../../contracts/usage';
import { estimateMessagesTokens } from '../../shared/estimate-tokens';
import { callModelRouted } from '../routed-model-call';

/** The summarizer's instructions; the scripted test model recognises the first words. */
export const SUMMARIZER_SYSTEM_PROMPT = [
  'You are the summarizer of an agent harness.',
  'Merge the earlier summary and the new turns into one short summary of the conversation.',
  'Keep every fact, name, number, preference and decision the user may refer to later; drop small talk.',
].join(' ');

function transcript(messages: ChatMessage[]): string {
  return messages
    .map((message) => `${message.role === 'user' ? 'User' : 'Assistant'}: ${message.content ?? ''}`)
    .join('\n\n');
}

/**
 * Folds turns into the running summary with a (small, by routing) model. With no turns it
 * re-summarizes the summary alone: the hierarchical step when the summary outgrew its budget.
 */
export async function summarizeTurns(
  previous: string,
  messages: ChatMessage[],
  targetTokens: number,
  selection: ModelSelection,
): Promise<{ summary: string; usage: Usage }> {
  const request = [
    { role: 'system' as const, content: SUMMARIZER_SYSTEM_PROMPT },
    {
      role: 'user' as const,
      content:
        `Answer in at most ${targetTokens} tokens.\n\nEarlier summary:\n${previous || '(none)'}` +
        (messages.length > 0 ? `\n\nNew turns:\n${transcript(messages)}` : '\n\nShorten it, keeping every fact.'),
    },
  ];
  const { result, usage } = await callModelRouted({
    selection,
    purpose: 'summarize',
    messages: request,
    contextTokens: estimateMessagesTokens(request),
    label: 'summarize session',
  });
  return { summary: result.content ?? previous, usage };
}
