import type { ChatMessage, ToolCallRequest, ToolDefinition } from './messages';
import type { RouteDecision } from './models';

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
  /** Why this model was chosen; for the history and the UI, not used by the activity. */
  route?: RouteDecision;
  /**
   * Most output tokens the model may produce (sent as `max_tokens`); set when a token
   * budget is nearly spent. @default the provider's default
   */
  maxOutputTokens?: number;
  /** Ask for JSON matching this schema (structured output). */
  responseFormat?: { name: string; schema: Record<string, unknown> };
  /**
   * Serve an identical earlier call from the prompt-response cache (only honoured when
   * `temperature` is 0, so a cached answer is one the model would give again).
   * @default false
   */
  cache?: boolean;
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
  /** True when served from the prompt-response cache; then nothing was billed. */
  cached?: boolean;
}

/** Input of the `callTool` activity. */
export interface ToolCallInput {
  call: ToolCallRequest;
  /** Derived from workflow id and call id so a retried activity never repeats a side effect. */
  idempotencyKey: string;
  /**
   * Set on a further round of a call with side effects whose previous round ended with its
   * outcome open (every attempt died or gave up before the outcome was recorded). With the
   * ledger the round is a normal call: the claim it finds is resolved by looking at what
   * happened, and a call no attempt ever claimed runs. Without a ledger nothing can tell,
   * so the worker reports the outcome unknown instead of running the tool again.
   */
  resolvingOpenOutcome?: boolean;
}

/**
 * Result of the `callTool` activity. Failures the model can act on (bad arguments, unknown
 * tool, permanent errors) come back as `ok: false` observations rather than thrown failures.
 */
export type ToolCallResult =
  | {
      callId: string;
      name: string;
      ok: true;
      output: string;
      /** Served from the result cache: the tool did not run. */
      cached?: boolean;
      /** With `cached`: how long the original execution took. */
      savedMs?: number;
      /** The full output's id in MongoDB when `output` is only an excerpt. */
      outputRef?: string;
    }
  | { callId: string; name: string; ok: false; error: { type: string; message: string } };
