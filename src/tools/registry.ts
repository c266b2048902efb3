import { z } from 'zod';
import type { ToolCallRequest, ToolDefinition } from '../contracts/messages';
import type { ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import { describeInvalidArguments } from './argument-errors';
import { PermanentToolError } from './tool-errors';
import type { Tool, ToolContext } from './tool';

/** The tools a worker can run, looked up by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(tools: Tool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  /** Adds a tool; names are unique. */
  register(tool: Tool): void {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.tools.set(tool.name, tool);
  }

  /** Names of every registered tool, sorted. */
  names(): string[] {
    return [...this.tools.keys()].sort();
  }

  /**
   * Model-facing definitions (JSON Schema of each input) for `names`, or for every tool.
   * Unknown names are reported, not skipped, so a task cannot silently lose a tool.
   */
  definitions(names?: string[]): ToolDefinition[] {
    const wanted = names ?? this.names();
    const unknown = wanted.filter((name) => !this.tools.has(name));
    if (unknown.length > 0) {
      throw new PermanentToolError(`unknown tools ${unknown.join(', ')}; registered tools: ${this.names().join(', ')}`);
    }
    return wanted.map((name) => {
      const tool = this.tools.get(name) as Tool;
      const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input) as Record<string, unknown>;
      return { name: tool.name, description: tool.description, parameters };
    });
  }

  /**
   * Runs one call. Mistakes the model can fix (unknown tool, bad JSON, schema violations,
   * permanent tool errors) come back as `ok: false` observations; transient errors are
   * thrown so the activity fails retryably and the engine retries.
   */
  async execute(call: ToolCallRequest, context: ToolContext): Promise<ToolCallResult> {
    const base = { callId: call.id, name: call.name };
    const tool = this.tools.get(call.name);
    if (tool === undefined) {
      return {
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolUnknown,
          message: `unknown tool "${call.name}"; available tools: ${this.names().join(', ')}`,
        },
      };
    }
    let raw: unknown;
    try {
      raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (error) {
      return {
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolInvalidArguments,
          message: `arguments for ${call.name} are not valid JSON (${(error as Error).message}). Example of valid arguments: ${JSON.stringify(tool.example)}`,
        },
      };
    }
    const parsed = tool.input.safeParse(raw);
    if (!parsed.success) {
      return {
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolInvalidArguments,
          message: describeInvalidArguments(call.name, parsed.error, tool.example),
        },
      };
    }
    try {
      return { ...base, ok: true, output: await tool.execute(parsed.data, context) };
    } catch (error) {
      if (error instanceof PermanentToolError) {
        return {
          ...base,
          ok: false,
          error: { type: FailureType.ToolPermanent, message: `${call.name} failed: ${error.message}` },
        };
      }
      throw error;
    }
  }
}
