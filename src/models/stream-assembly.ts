import type OpenAI from 'openai';
import type { ToolCallRequest } from '../contracts/messages';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/** What a model answered, whether it came whole or in chunks. */
export interface AssembledAnswer {
  content: string | null;
  toolCalls: ToolCallRequest[];
  finishReason: string;
  /** The provider's count; undefined when it sent none (a stream without `include_usage`). */
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number } | undefined;
}

function usageOf(usage: OpenAI.Completions.CompletionUsage | null | undefined): AssembledAnswer['usage'] {
  if (usage === null || usage === undefined) return undefined;
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
  };
}

/** The answer of an unstreamed completion. */
export function answerOfCompletion(response: OpenAI.Chat.Completions.ChatCompletion): AssembledAnswer {
  const choice = response.choices[0];
  return {
    content: choice?.message.content ?? null,
    toolCalls: (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    ),
    finishReason: choice?.finish_reason ?? 'unknown',
    usage: usageOf(response.usage),
  };
}

/**
 * Puts a streamed completion back together, chunk by chunk: the content deltas of the first
 * choice joined, each tool call assembled from its deltas by `index` (the first delta
 * carries the id and name, later ones pieces of the arguments), the finish reason, and the
 * usage from whichever chunk carries it (the last, with `include_usage`).
 */
export class StreamAssembly {
  private readonly contentPieces: string[] = [];
  private sawContent = false;
  private readonly toolCalls = new Map<number, { id: string; name: string; arguments: string[] }>();
  private finishReason: string | undefined;
  private usage: AssembledAnswer['usage'];

  /** Adds one chunk; returns the text it adds to the content ('' when none). */
  add(chunk: Chunk): string {
    const usage = usageOf(chunk.usage);
    if (usage !== undefined) this.usage = usage;
    const choice = chunk.choices.find((candidate) => candidate.index === 0);
    if (choice === undefined) return '';
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    for (const toolDelta of delta.tool_calls ?? []) {
      const call = this.toolCalls.get(toolDelta.index) ?? { id: '', name: '', arguments: [] };
      if (toolDelta.id) call.id = toolDelta.id;
      // The name comes whole with the first delta; a server that repeats it later changes nothing.
      if (toolDelta.function?.name && call.name === '') call.name = toolDelta.function.name;
      if (toolDelta.function?.arguments) call.arguments.push(toolDelta.function.arguments);
      this.toolCalls.set(toolDelta.index, call);
    }
    const text = delta.content ?? '';
    if (delta.content !== null && delta.content !== undefined) this.sawContent = true;
    if (text !== '') this.contentPieces.push(text);
    return text;
  }

  /** True once a chunk gave the finish reason: the answer is complete (only usage may follow). */
  finished(): boolean {
    return this.finishReason !== undefined;
  }

  /** The answer so far; after the last chunk, the whole answer. */
  answer(): AssembledAnswer {
    const content = this.contentPieces.join('');
    return {
      // An answer of only tool calls has no content, as in an unstreamed completion.
      content: content === '' && (!this.sawContent || this.toolCalls.size > 0) ? null : content,
      toolCalls: [...this.toolCalls.entries()]
        .sort(([left], [right]) => left - right)
        .map(([, call]) => ({ id: call.id, name: call.name, arguments: call.arguments.join('') })),
      finishReason: this.finishReason ?? 'unknown',
      usage: this.usage,
    };
  }
}
