/**
 * Exact token counts for the worker side (activities, benchmarks), with the o200k_base
 * encoding of the GPT-4o, GPT-4.1, GPT-5 and o-series models, from a pure-JS tokenizer
 * whose tables ship in the package (no download at run time). Counts for other model
 * families are close approximations. Workflows use the deterministic estimate of
 * `src/shared/estimate-tokens.ts` instead, corrected by the provider's reported usage.
 */
import { countTokens as countO200kTokens, decode, encode } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { ChatMessage } from '../contracts/messages';
import { MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS } from '../shared/estimate-tokens';

/** Exact tokens of a text (o200k_base). */
export function countTokens(text: string): number {
  return countO200kTokens(text);
}

/** Exact tokens of a chat request's messages: contents, tool calls, and the chat format's overhead. */
export function countChatTokens(messages: readonly ChatMessage[]): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS + countTokens(message.content ?? '');
    if (message.role === 'assistant') {
      for (const call of message.toolCalls ?? []) tokens += countTokens(call.name) + countTokens(call.arguments) + 8;
    }
  }
  return tokens;
}

/**
 * Cuts a text to at most `maxTokens`, at the last sentence end that fits (else the last
 * word that fits), so a cut summary reads as whole sentences.
 */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return { text, truncated: false };
  const head = decode(tokens.slice(0, Math.max(0, maxTokens)));
  const sentenceEnd = Math.max(
    head.lastIndexOf('. '),
    head.lastIndexOf('.\n'),
    head.lastIndexOf('! '),
    head.lastIndexOf('? '),
  );
  if (sentenceEnd > head.length / 2) return { text: head.slice(0, sentenceEnd + 1).trimEnd(), truncated: true };
  const wordEnd = head.lastIndexOf(' ');
  return { text: (wordEnd > 0 ? head.slice(0, wordEnd) : head).trimEnd(), truncated: true };
}
