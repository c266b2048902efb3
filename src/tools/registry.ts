import { z } from 'zod';
import type { ToolCallRequest, ToolDefinition } from '../contracts/messages';
import type { ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ToolDescriptor, ToolPolicy } from '../contracts/tools';
import { describeInvalidArguments } from './argument-errors';
import { resolvePolicy } from './policy';
import { PermanentToolError, isPermanentToolError } from './tool-errors';
import type { Tool, ToolContext } from './tool';

/** Names a model can call: OpenAI's function-name rule. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A call whose tool exists and whose arguments passed the schema, ready to run. */
export interface PreparedToolCall {
  ok: true;
  call: ToolCallRequest;
  tool: Tool;
  /** The validated arguments (defaults applied). */
  args: unknown;
  policy: ToolPolicy;
}

/** A call the model must fix (unknown tool, bad JSON, schema violation): the observation to send back. */
export interface RejectedToolCall {
  ok: false;
  result: ToolCallResult;
}

interface RegisteredTool {
  tool: Tool;
  policy: ToolPolicy;
  parameters: Record<string, unknown>;
}

/** The tools a worker can run, looked up by name, each with its resolved policy. */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();

  constructor(tools: Tool[] = []) {
    for (const tool of tools) this.register(tool);
  }

  /** Adds a tool; names are unique and must be valid function names. Throws on an invalid policy. */
  register(tool: Tool): void {
    if (!TOOL_NAME.test(tool.name)) {
      throw new Error(`tool name "${tool.name}" is invalid: use 1-64 letters, digits, "_" or "-"`);
    }
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    const policy = resolvePolicy(tool);
    const parameters = tool.parameters ?? withoutSchemaKeyword(z.toJSONSchema(tool.input) as Record<string, unknown>);
    this.tools.set(tool.name, { tool, policy, parameters });
  }

  /** Names of every registered tool, sorted. */
  names(): string[] {
    return [...this.tools.keys()].sort();
  }

  /** True when a tool of that name is registered. */
  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** The resolved policy of a registered tool. */
  policyOf(name: string): ToolPolicy | undefined {
    return this.tools.get(name)?.policy;
  }

  /**
   * Model-facing definitions (JSON Schema of each input) for `names`, or for every tool.
   * Unknown names are reported, not skipped, so a task cannot silently lose a tool.
   */
  definitions(names?: string[]): ToolDefinition[] {
    return this.lookup(names).map(({ tool, parameters }) => ({
      name: tool.name,
      description: tool.description,
      parameters,
    }));
  }

  /**
   * Definitions plus the full policy of each tool: what the workflow needs to build activity
   * options, wait for approvals and hand over to fallbacks.
   */
  descriptors(names?: string[]): ToolDescriptor[] {
    return this.lookup(names).map(({ tool, parameters, policy }) => {
      if (policy.fallback !== undefined && !this.tools.has(policy.fallback)) {
        throw new PermanentToolError(
          `tool ${tool.name} names fallback "${policy.fallback}", which is not registered; registered tools: ${this.names().join(', ')}`,
        );
      }
      return { name: tool.name, description: tool.description, parameters, policy: { ...policy } };
    });
  }

  private lookup(names?: string[]): RegisteredTool[] {
    const wanted = names ?? this.names();
    const unknown = wanted.filter((name) => !this.tools.has(name));
    if (unknown.length > 0) {
      throw new PermanentToolError(`unknown tools ${unknown.join(', ')}; registered tools: ${this.names().join(', ')}`);
    }
    return wanted.map((name) => this.tools.get(name) as RegisteredTool);
  }

  /**
   * Finds the tool and validates the arguments. Mistakes the model can fix (unknown tool,
   * bad JSON, schema violations) come back as `ok: false` observations naming the problem.
   */
  prepare(call: ToolCallRequest): PreparedToolCall | RejectedToolCall {
    const base = { callId: call.id, name: call.name };
    const registered = this.tools.get(call.name);
    if (registered === undefined) {
      return rejected({
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolUnknown,
          message: `unknown tool "${call.name}"; available tools: ${this.names().join(', ')}`,
        },
      });
    }
    const { tool, policy } = registered;
    let raw: unknown;
    try {
      raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (error) {
      return rejected({
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolInvalidArguments,
          message: `arguments for ${call.name} are not valid JSON (${(error as Error).message}). Example of valid arguments: ${JSON.stringify(tool.example)}`,
        },
      });
    }
    const parsed = tool.input.safeParse(raw);
    if (!parsed.success) {
      return rejected({
        ...base,
        ok: false,
        error: {
          type: FailureType.ToolInvalidArguments,
          message: describeInvalidArguments(call.name, parsed.error, tool.example),
        },
      });
    }
    return { ok: true, call, tool, args: parsed.data, policy };
  }

  /**
   * Runs one call in process, without cache, breaker or stored outputs (the activity uses
   * `ToolRunner`, which adds them). Permanent tool errors come back as observations;
   * transient errors are thrown so the engine retries.
   */
  async execute(call: ToolCallRequest, context: ToolContext): Promise<ToolCallResult> {
    const prepared = this.prepare(call);
    if (!prepared.ok) return prepared.result;
    return runPrepared(prepared, context);
  }
}

/** Runs a prepared call; a {@link PermanentToolError} becomes an observation, anything else is thrown. */
export async function runPrepared(prepared: PreparedToolCall, context: ToolContext): Promise<ToolCallResult> {
  const base = { callId: prepared.call.id, name: prepared.call.name };
  try {
    return { ...base, ok: true, output: await prepared.tool.execute(prepared.args, context) };
  } catch (error) {
    if (isPermanentToolError(error)) return permanentObservation(prepared.call, error);
    throw error;
  }
}

/** The observation for a permanent tool error. */
export function permanentObservation(call: ToolCallRequest, error: PermanentToolError): ToolCallResult {
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    error: { type: FailureType.ToolPermanent, message: `${call.name} failed: ${error.message}` },
  };
}

function rejected(result: ToolCallResult): RejectedToolCall {
  return { ok: false, result };
}

function withoutSchemaKeyword(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...parameters } = schema;
  return parameters;
}
