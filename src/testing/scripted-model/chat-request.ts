import { z } from 'zod';

/**
 * The part of an OpenAI chat-completions request body the scripted server reads. Loose on
 * purpose: any OpenAI-compatible client must get through, so unknown fields are kept and
 * only the shapes the rules look at are checked.
 */

const contentPartSchema = z.looseObject({ type: z.string().optional(), text: z.string().optional() });

const requestToolCallSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

const chatMessageSchema = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(requestToolCallSchema).optional(),
  tool_call_id: z.string().optional(),
});

const offeredToolSchema = z.looseObject({
  type: z.string().optional(),
  function: z.looseObject({ name: z.string().optional() }).optional(),
});

/** The zod schema of the chat-completions request fields the server reads. */
export const chatRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(chatMessageSchema).min(1),
  tools: z.array(offeredToolSchema).optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
});

/** A chat-completions request body, as far as the scripted server reads it. */
export type ChatRequest = z.output<typeof chatRequestSchema>;
/** One message of a {@link ChatRequest}. */
export type ChatMessage = ChatRequest['messages'][number];

/** The text of a message: a string content as is, content parts' text joined by newlines. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => part.text)
      .filter((text): text is string => text !== undefined)
      .join('\n');
  }
  return '';
}

/** The last message with this role, if any. */
export function lastMessageWithRole(request: ChatRequest, role: string): ChatMessage | undefined {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role === role) return message;
  }
  return undefined;
}

/** The first system message; `developer` counts too, since newer clients send that role instead. */
export function firstSystemMessage(request: ChatRequest): ChatMessage | undefined {
  return request.messages.find((message) => message.role === 'system' || message.role === 'developer');
}

/** Names of the functions offered in `request.tools`. */
export function offeredToolNames(request: ChatRequest): string[] {
  return (request.tools ?? []).map((tool) => tool.function?.name).filter((name): name is string => name !== undefined);
}

/**
 * The content of the tool message that answers the most recent assistant tool call to
 * `toolName`, or `undefined` when there is none.
 */
export function toolResultFor(request: ChatRequest, toolName: string): string | undefined {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role !== 'assistant' || message.tool_calls === undefined) continue;
    // Walk this turn's calls backwards: with two calls to the same tool in one turn, the
    // later one is "the last assistant tool call".
    for (let callIndex = message.tool_calls.length - 1; callIndex >= 0; callIndex -= 1) {
      const toolCall = message.tool_calls[callIndex];
      if (toolCall?.function?.name !== toolName || toolCall.id === undefined) continue;
      const answer = request.messages.find(
        (candidate) => candidate.role === 'tool' && candidate.tool_call_id === toolCall.id,
      );
      return answer === undefined ? undefined : messageText(answer);
    }
  }
  return undefined;
}
