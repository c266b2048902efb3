import type { ChatMessage, ToolCallRequest, ToolDefinition } from './messages';

/** Input of the `callModel` activity. Carries a model id, never a key or endpoint secret. */
export interface ModelCallInput {
  /** Catalog id of the model to call; the worker resolves its endpoint and key. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** @default the provider's default */
  temperature?: number;
  /** Short label for logs and the UI (e.g. `step 3`). */
  purpose?: string;
}

/** Result of the `callModel` activity. */
export interface ModelCallResult {
  model: string;
  content: string | null;
  toolCalls: ToolCallRequest[];
  finishReason: string;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
  costUsd: number;
  latencyMs: number;
}

/** Input of the `callTool` activity. */
export interface ToolCallInput {
  call: ToolCallRequest;
  /** Derived from workflow id and call id so a retried activity never repeats a side effect. */
  idempotencyKey: string;
}

/**
 * Result of the `callTool` activity. Failures the model can act on (bad arguments, unknown
 * tool, permanent errors) come back as `ok: false` observations rather than thrown failures.
 */
export type ToolCallResult =
  | { callId: string; name: string; ok: true; output: string }
  | { callId: string; name: string; ok: false; error: { type: string; message: string } };
