import type { ChatCompletion, ChatCompletionMessageFunctionToolCall } from 'openai/resources/chat/completions';

import type { ChatRequest } from './chat-request';
import { messageText } from './chat-request';
import { fillTemplates } from './reply-template';
import type { ScriptReply, ScriptUsage, ScriptedToolCall } from './script-schema';

/** What {@link buildChatCompletion} needs. */
export interface ChatCompletionBuildInput {
  /** The reply of the rule that matched. */
  reply: ScriptReply;
  /** The rule's reported usage, if it gives one. */
  usage?: ScriptUsage | undefined;
  /** The parsed request body; templates and the token estimate read it. */
  request: ChatRequest;
  /** 1-based chat request number; makes response and tool call ids deterministic. */
  requestNumber: number;
  /** Model name to report when the request names none. */
  defaultModel: string;
  /** Unix seconds for `created`; passed in so this function stays pure. */
  createdSeconds: number;
}

/**
 * A deterministic token estimate: one token per four characters, the usual rule of thumb
 * for English. Good enough for budgets and cost tests, and stable across runs.
 */
export function estimateTokens(characterCount: number): number {
  return Math.ceil(characterCount / 4);
}

/** Estimated prompt tokens: all message contents plus the arguments of earlier tool calls. */
export function estimatePromptTokens(request: ChatRequest): number {
  let characters = 0;
  for (const message of request.messages) {
    characters += messageText(message).length;
    for (const toolCall of message.tool_calls ?? []) characters += toolCall.function?.arguments?.length ?? 0;
  }
  return estimateTokens(characters);
}

function serializeArguments(toolCall: ScriptedToolCall): string {
  if (toolCall.rawArguments !== undefined) return toolCall.rawArguments;
  return JSON.stringify(toolCall.arguments ?? {});
}

/**
 * Builds the OpenAI `chat.completion` response for a scripted reply: content and/or tool
 * calls, `finish_reason` `tool_calls` when there are calls, and token usage (the rule's own
 * numbers where given, the estimate otherwise).
 *
 * @throws {ReplyTemplateError} when the content uses a template with no value in the request.
 */
export function buildChatCompletion(input: ChatCompletionBuildInput): ChatCompletion {
  const { reply, request, requestNumber } = input;
  const content = reply.content === undefined ? null : fillTemplates(reply.content, request);
  const toolCalls: ChatCompletionMessageFunctionToolCall[] = (reply.toolCalls ?? []).map((toolCall, index) => ({
    id: toolCall.id ?? `call_${requestNumber}_${index}`,
    type: 'function',
    function: { name: toolCall.name, arguments: serializeArguments(toolCall) },
  }));

  const completionCharacters =
    (content?.length ?? 0) + toolCalls.reduce((sum, toolCall) => sum + toolCall.function.arguments.length, 0);
  const promptTokens = input.usage?.inputTokens ?? estimatePromptTokens(request);
  const completionTokens = input.usage?.outputTokens ?? estimateTokens(completionCharacters);
  // Clamped so an estimated prompt never reports more cached tokens than it has.
  const cachedTokens = Math.min(input.usage?.cachedInputTokens ?? 0, promptTokens);

  return {
    id: `chatcmpl-scripted-${requestNumber}`,
    object: 'chat.completion',
    created: input.createdSeconds,
    model: request.model ?? input.defaultModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: cachedTokens },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  };
}
