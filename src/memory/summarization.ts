import type { MemoryModelUsage, SummarizeInput, SummarizeResult } from '../contracts/memory';
import type { ModelCallResult } from '../contracts/activities';
import { MemoryInputError, ModelOutputError } from './memory-errors';
import type { ChatCompleter } from './model-port';
import { countTokens, truncateToTokens } from '../models/token-count';
import { transcriptText } from './transcript';

/** The summarizer's instructions; scripted tests match on its first words. */
export const SUMMARIZER_SYSTEM_PROMPT = [
  'You compress conversation history for an AI agent, so it can continue without the full transcript.',
  'Keep every durable fact: names, numbers, dates, preferences the user stated, decisions taken, results obtained,',
  'and open questions or tasks. Drop greetings, filler and reasoning that led nowhere.',
  'Write plain sentences in the third person ("The user ..."). Reply with the summary only.',
].join(' ');

/** The usage of a memory model call, for the activity result. */
export function memoryUsage(result: ModelCallResult): MemoryModelUsage {
  return {
    model: result.model,
    inputTokens: result.usage.inputTokens,
    cachedInputTokens: result.usage.cachedInputTokens,
    outputTokens: result.usage.outputTokens,
    costUsd: result.costUsd,
  };
}

function summarizerRequest(input: SummarizeInput): string {
  const words = Math.max(10, Math.floor(input.targetTokens * 0.7));
  const parts = [`Write the new summary in at most ${input.targetTokens} tokens (about ${words} words).`];
  if (input.focus !== undefined && input.focus.trim() !== '')
    parts.push(`Above all keep what matters for: ${input.focus}`);
  if (input.previousSummary !== undefined && input.previousSummary.trim() !== '') {
    parts.push(`Summary so far:\n<<<\n${input.previousSummary.trim()}\n>>>`);
  }
  if (input.messages.length > 0) {
    parts.push(`Conversation to fold into it:\n<<<\n${transcriptText(input.messages)}\n>>>`);
  } else {
    parts.push('Compress the summary so far; lose detail before losing facts.');
  }
  return parts.join('\n\n');
}

/**
 * Folds turns into a running summary (or compresses a summary alone) with a small model.
 * The result never exceeds `targetTokens`: a longer answer is cut at a sentence boundary
 * and marked `truncated`, so the workflow's budget holds even when the model ignores the
 * length it was asked for.
 */
export async function summarize(
  models: ChatCompleter,
  input: SummarizeInput,
  options: { signal?: AbortSignal } = {},
): Promise<SummarizeResult> {
  if (!Number.isInteger(input.targetTokens) || input.targetTokens < 16) {
    throw new MemoryInputError(`targetTokens must be an integer of at least 16, got ${input.targetTokens}`);
  }
  const hasSummary = input.previousSummary !== undefined && input.previousSummary.trim() !== '';
  if (!hasSummary && input.messages.length === 0) {
    throw new MemoryInputError('nothing to summarize: give messages, a previous summary, or both');
  }
  const result = await models.complete(
    {
      model: input.model,
      purpose: 'summarize',
      temperature: 0,
      messages: [
        { role: 'system', content: SUMMARIZER_SYSTEM_PROMPT },
        { role: 'user', content: summarizerRequest(input) },
      ],
    },
    { signal: options.signal },
  );
  const content = (result.content ?? '').trim();
  if (content === '') throw new ModelOutputError(`model ${result.model} returned an empty summary`);
  const cut = truncateToTokens(content, input.targetTokens);
  return { summary: cut.text, tokens: countTokens(cut.text), truncated: cut.truncated, usage: memoryUsage(result) };
}
