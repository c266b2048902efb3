import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';

/** How a completion is cut into stream chunks. */
export interface StreamChunkOptions {
  /** Send `usage` in a last chunk with no choices (the request's `stream_options.include_usage`). */
  includeUsage: boolean;
  /** Characters of tool-call arguments per chunk. @default 16 */
  argumentPieceCharacters?: number;
}

/** Content cut into word-sized deltas, each word with the spaces after it, so the pieces join back exactly. */
export function contentPieces(content: string): string[] {
  const pieces = content.match(/\s*\S+\s*/g) ?? [];
  // Whitespace-only content has no words; sent as it is.
  return pieces.length === 0 && content !== '' ? [content] : pieces;
}

function slices(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/**
 * The `chat.completion.chunk` sequence OpenAI streams for a completion: a first chunk with
 * the role, the content as word deltas, each tool call as a chunk carrying its id and name
 * followed by chunks with pieces of its arguments, a chunk with the finish reason, and,
 * when asked for, a last chunk with no choices and the usage.
 */
export function completionChunks(completion: ChatCompletion, options: StreamChunkOptions): ChatCompletionChunk[] {
  const choice = completion.choices[0];
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  // Without include_usage OpenAI sends no usage field at all; with it, every chunk but the last has `usage: null`.
  const usageField = options.includeUsage ? { usage: null } : {};
  const chunk = (
    delta: ChatCompletionChunk.Choice.Delta,
    finishReason: ChatCompletionChunk.Choice['finish_reason'] = null,
  ) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...usageField,
  });
  const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of contentPieces(choice?.message.content ?? '')) chunks.push(chunk({ content: piece }));
  const argumentSize = Math.max(1, options.argumentPieceCharacters ?? 16);
  (choice?.message.tool_calls ?? []).forEach((toolCall, index) => {
    if (toolCall.type !== 'function') return;
    chunks.push(
      chunk({
        tool_calls: [
          { index, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } },
        ],
      }),
    );
    for (const piece of slices(toolCall.function.arguments, argumentSize)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, choice?.finish_reason ?? 'stop'));
  if (options.includeUsage && completion.usage !== undefined) {
    chunks.push({ ...base, choices: [], usage: completion.usage });
  }
  return chunks;
}
