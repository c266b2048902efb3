/**
 * JSON-only chat messages that cross workflow and activity boundaries. They mirror the
 * OpenAI chat format closely enough to convert 1:1, but carry no SDK types.
 */

/** A tool call the model asked for. `arguments` is the raw JSON text the model produced. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

/** One chat message. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCallRequest[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** What a model is told about a tool: its name, description and JSON Schema of its input. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}
