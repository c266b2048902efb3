import type OpenAI from 'openai';
import type { ModelCallInput } from '../contracts/activities';

type OpenAIMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type OpenAIResponseFormat = OpenAI.Chat.Completions.ChatCompletionCreateParams['response_format'];

/** What a request needs for structured output: possibly changed messages, possibly a `response_format`. */
export interface StructuredOutputRequest {
  messages: OpenAIMessage[];
  response_format?: OpenAIResponseFormat;
}

/** OpenAI's `json_schema.name` allows letters, digits, `_` and `-`, at most 64 characters. */
export function jsonSchemaName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return cleaned === '' ? 'response' : cleaned;
}

/** The instruction given to a model that cannot take a JSON schema as a response format. */
export function jsonInstruction(responseFormat: NonNullable<ModelCallInput['responseFormat']>): string {
  return (
    `Answer with only a JSON value matching the JSON schema "${responseFormat.name}" below: ` +
    `no prose, no code fences.\n${JSON.stringify(responseFormat.schema)}`
  );
}

/**
 * Maps a call's `responseFormat` to the request. A model whose catalog capabilities
 * include `jsonSchema` gets OpenAI's strict structured output
 * (`response_format: { type: 'json_schema', json_schema: { name, schema, strict: true } }`;
 * strict mode wants `additionalProperties: false` and every property required, which is
 * the caller's schema's business). Other models get the schema as a plain instruction
 * appended to the system prompt (a system message is added when there is none); the
 * workflow validates the answer either way.
 */
export function applyResponseFormat(
  messages: OpenAIMessage[],
  responseFormat: ModelCallInput['responseFormat'],
  capabilities: { jsonSchema: boolean },
): StructuredOutputRequest {
  if (responseFormat === undefined) return { messages };
  if (capabilities.jsonSchema) {
    return {
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: jsonSchemaName(responseFormat.name), schema: responseFormat.schema, strict: true },
      },
    };
  }
  const instruction = jsonInstruction(responseFormat);
  const [first, ...rest] = messages;
  if (first?.role === 'system' && typeof first.content === 'string') {
    return { messages: [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...rest] };
  }
  return { messages: [{ role: 'system', content: instruction }, ...messages] };
}
