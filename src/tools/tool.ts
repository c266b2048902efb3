import type { z } from 'zod';
import type { ToolPolicy } from '../contracts/tools';

/** What a tool's `execute` receives besides its arguments. */
export interface ToolContext {
  /**
   * Stable across retries of the same call (`<workflowId>/step-<n>/<callId>`): pass it to
   * the system you change so it can deduplicate (an `Idempotency-Key` header, a unique id
   * column; `http_fetch` sends it as `Idempotency-Key`, MCP tools get it in the call's
   * `_meta.idempotencyKey`). The runner already records the outcome of every non-idempotent
   * tool under this key, so a retried attempt returns the recorded outcome instead of
   * running again; the key closes the one gap left, a worker dying between the effect and
   * the record (then declare `acceptsIdempotencyKey` or implement `checkOutcome`).
   */
  idempotencyKey: string;
  /** Aborted when the activity is cancelled or times out, or when the tool's own `timeoutMs` passes. */
  signal: AbortSignal;
  /** Tells the engine a long tool is alive; `details` show in the UI and survive a retry. */
  heartbeat(details?: unknown): void;
}

/** A tool declared once: a model-facing description, an input schema, a policy and its code. */
export interface Tool<Schema extends z.ZodType = z.ZodType> {
  /** Unique; what the model calls (letters, digits, `_` and `-`, at most 64 characters). */
  name: string;
  /** Written for a model: what it does, when to use it, what it returns, its limits. */
  description: string;
  /** Validates the model's arguments before `execute` runs. */
  input: Schema;
  /**
   * The JSON Schema shown to the model, when it must be passed through verbatim (MCP tools
   * bring their own). @default `z.toJSONSchema(input)`
   */
  parameters?: Record<string, unknown>;
  /** A valid argument object, shown to the model when its arguments were wrong. */
  example: z.infer<Schema>;
  /** How the engine treats calls; merged over `DEFAULT_TOOL_POLICY`. @default `DEFAULT_TOOL_POLICY` */
  policy?: Partial<ToolPolicy>;
  /**
   * The circuit-breaker key of a call, for tools whose failures are per target (one breaker
   * per host for `http_fetch`). @default the tool's name
   */
  circuitKey?(args: z.infer<Schema>): string;
  /** Returns the text the model sees as the tool's result. */
  execute(args: z.infer<Schema>, context: ToolContext): Promise<string>;
  /**
   * For a tool with side effects: finds out whether a call with this idempotency key
   * (`context.idempotencyKey`) already took effect. Asked when an attempt died between the
   * effect and recording its outcome, so the call is neither repeated blindly nor reported
   * as unknown. Answer `{applied: true, output}` (the output the model gets),
   * `{applied: false}` (the call runs), or `undefined` when it cannot tell.
   */
  checkOutcome?(args: z.infer<Schema>, context: ToolContext): Promise<OutcomeCheck>;
}

/** What {@link Tool.checkOutcome} found out. */
export type OutcomeCheck = { applied: true; output: string } | { applied: false } | undefined;

/** Declares a tool with its argument types inferred from the schema. */
export function defineTool<Schema extends z.ZodType>(tool: Tool<Schema>): Tool<Schema> {
  return tool;
}
