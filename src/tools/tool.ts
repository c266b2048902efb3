import type { z } from 'zod';

/** What a tool's `execute` receives besides its arguments. */
export interface ToolContext {
  /** Stable across retries of the same call: use it to make side effects happen once. */
  idempotencyKey: string;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
  /** Tells the engine a long tool is alive. */
  heartbeat(details?: unknown): void;
}

/** A tool declared once: a model-facing description, an input schema and its code. */
export interface Tool<Schema extends z.ZodType = z.ZodType> {
  name: string;
  /** Written for a model: what it does, when to use it, what it returns, its limits. */
  description: string;
  input: Schema;
  /** A valid argument object, shown to the model when its arguments were wrong. */
  example: z.infer<Schema>;
  /** Returns the text the model sees as the tool's result. */
  execute(args: z.infer<Schema>, context: ToolContext): Promise<string>;
}

/** Declares a tool with its argument types inferred from the schema. */
export function defineTool<Schema extends z.ZodType>(tool: Tool<Schema>): Tool<Schema> {
  return tool;
}
