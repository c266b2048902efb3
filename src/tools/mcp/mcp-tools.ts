import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_TOOL_POLICY, type ToolPolicy } from '../../contracts/tools';
import type { OutcomeCheck, Tool, ToolContext } from '../tool';
import { PermanentToolError } from '../tool-errors';
import type { McpServerConfig } from '../../config/mcp-servers';
import { McpServerConnection, type McpCallResult } from './mcp-connection';
import { mcpErrorToToolError } from './mcp-errors';
import { exampleFromJsonSchema, jsonSchemaToZod, modelFacingSchema, type JsonSchema } from './json-schema';

/** Separates server and tool in a Chassis tool name: `files__read_file`. */
export const MCP_NAME_SEPARATOR = '__';

/** Options of {@link connectMcpServers}. */
export interface ConnectMcpServersOptions {
  /** Time to start one server and list its tools. @default 20_000 */
  connectTimeoutMs?: number;
  /** Receives servers' stderr lines. @default dropped (the last lines still go into error messages) */
  log?: (line: string) => void;
  /** Receives warnings (a schema that could not be converted). @default `console.warn` */
  warn?: (message: string) => void;
}

/** MCP servers connected and their tools, ready to register. */
export interface McpToolSet {
  tools: Tool[];
  servers: { name: string; tools: string[] }[];
  /** Stops every server process. */
  close(): Promise<void>;
}

/**
 * Starts each configured MCP server over stdio, lists its tools and wraps each as a Chassis
 * tool named `<server>__<tool>`: the server's input JSON Schema goes to the model verbatim
 * and is validated with zod before the call, and every call goes through the SDK client.
 * A server that does not start fails the whole call (a worker should not run half-configured).
 */
export async function connectMcpServers(
  configs: McpServerConfig[],
  options: ConnectMcpServersOptions = {},
): Promise<McpToolSet> {
  const connections = configs.map(
    (config) =>
      new McpServerConnection(config, { connectTimeoutMs: options.connectTimeoutMs ?? 20_000, log: options.log }),
  );
  const closeAll = async () => {
    await Promise.allSettled(connections.map((connection) => connection.close()));
  };
  try {
    const listed = await Promise.all(
      connections.map(async (connection) => ({ connection, tools: await connection.listTools() })),
    );
    const tools: Tool[] = [];
    const servers: McpToolSet['servers'] = [];
    for (const { connection, tools: mcpTools } of listed) {
      checkOutcomeChecks(connection.config, mcpTools);
      const wrapped = mcpTools.map((mcpTool) =>
        mcpToolToChassisTool(connection, mcpTool, options.warn ?? console.warn),
      );
      tools.push(...wrapped);
      servers.push({ name: connection.config.name, tools: wrapped.map((tool) => tool.name) });
    }
    return { tools, servers, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A server's `outcomeChecks` must name tools it has: a typo would silently turn checks into unknown outcomes. */
function checkOutcomeChecks(config: McpServerConfig, mcpTools: McpTool[]): void {
  const names = new Set(mcpTools.map((tool) => tool.name));
  for (const [tool, checker] of Object.entries(config.outcomeChecks ?? {})) {
    for (const name of [tool, checker]) {
      if (!names.has(name)) {
        throw new Error(
          `MCP server "${config.name}": outcomeChecks names "${name}", which the server does not offer; its tools: ${[...names].join(', ')}`,
        );
      }
    }
  }
}

/**
 * Reads a checker's answer: JSON text `{"applied": true, "output": "..."}` or
 * `{"applied": false}`.
 *
 * @throws {PermanentToolError} for anything else (the runner then treats the outcome as not known)
 */
export function parseOutcomeCheck(text: string, checker: string): OutcomeCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const answer = value as { applied?: unknown; output?: unknown } | undefined;
  if (answer?.applied === false) return { applied: false };
  if (answer?.applied === true && typeof answer.output === 'string') return { applied: true, output: answer.output };
  throw new PermanentToolError(
    `outcome checker ${checker} answered ${JSON.stringify(text.slice(0, 200))}; expected {"applied":true,"output":"..."} or {"applied":false}`,
  );
}

/** `files` + `read file` → `files__read_file`, within OpenAI's 64-character name limit. */
export function mcpToolName(server: string, tool: string): string {
  return `${server}${MCP_NAME_SEPARATOR}${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/**
 * The policy an MCP tool gets: its annotations' hints, then the server's configured policy.
 * A tool that declares itself destructive (`destructiveHint: true`, not `readOnlyHint`)
 * waits for a person's approval of each call unless the server's policy says
 * `requiresApproval: false`.
 */
export function mcpToolPolicy(mcpTool: Pick<McpTool, 'annotations'>, config: McpServerConfig): Partial<ToolPolicy> {
  // Hints from a server the operator configured; a tool that does not say it is safe to
  // repeat is treated as having side effects (its outcome is recorded per idempotency key).
  const readOnly = mcpTool.annotations?.readOnlyHint === true;
  const idempotent = readOnly || mcpTool.annotations?.idempotentHint === true;
  const destructive = !readOnly && mcpTool.annotations?.destructiveHint === true;
  return { idempotent, ...(destructive ? { requiresApproval: true } : {}), ...config.policy };
}

/**
 * Wraps one MCP tool of a connected server. Every call carries the idempotency key in its
 * `_meta` (`{"idempotencyKey": "..."}`); a tool named in the server's `outcomeChecks` gets
 * a `checkOutcome` that asks the checker tool.
 */
export function mcpToolToChassisTool(
  connection: McpServerConnection,
  mcpTool: McpTool,
  warn: (message: string) => void = console.warn,
): Tool {
  const config = connection.config;
  const name = mcpToolName(config.name, mcpTool.name);
  const inputSchema = mcpTool.inputSchema as JsonSchema;
  const converted = jsonSchemaToZod(inputSchema);
  if (converted.warning !== undefined) warn(`MCP tool ${name}: ${converted.warning}`);
  const policy = mcpToolPolicy(mcpTool, config);
  const timeoutMs = policy.timeoutMs ?? DEFAULT_TOOL_POLICY.timeoutMs;
  const summary = mcpTool.description ?? mcpTool.title ?? mcpTool.annotations?.title ?? `The ${mcpTool.name} tool.`;
  const checker = config.outcomeChecks?.[mcpTool.name];
  return {
    name,
    description: `${summary.trim()} (Tool "${mcpTool.name}" of MCP server "${config.name}".)`,
    input: converted.schema,
    parameters: modelFacingSchema(inputSchema),
    example: exampleFromJsonSchema(inputSchema),
    policy,
    async execute(args, context) {
      const result = await call(mcpTool.name, (args ?? {}) as Record<string, unknown>, context);
      const text = renderMcpResult(result);
      // isError: the tool ran and failed; the spec sends these to the model to act on.
      if (result.isError === true) throw new PermanentToolError(text === '' ? 'the tool reported an error' : text);
      return text;
    },
    ...(checker === undefined
      ? {}
      : {
          async checkOutcome(_args: unknown, context: ToolContext): Promise<OutcomeCheck> {
            const result = await call(checker, { idempotencyKey: context.idempotencyKey }, context);
            const text = renderMcpResult(result);
            if (result.isError === true) throw new PermanentToolError(`outcome checker ${checker} failed: ${text}`);
            return parseOutcomeCheck(text, checker);
          },
        }),
  };

  /** One call to the server, with the idempotency key in `_meta` so the server can deduplicate. */
  async function call(tool: string, args: Record<string, unknown>, context: ToolContext): Promise<McpCallResult> {
    try {
      return await connection.callTool(tool, args, {
        signal: context.signal,
        // Below the tool's timeout, so the SDK reports the timeout rather than the runner.
        timeoutMs: Math.max(1_000, timeoutMs - 1_000),
        onProgress: (progress) => context.heartbeat(progress),
        meta: { idempotencyKey: context.idempotencyKey },
      });
    } catch (error) {
      if (context.signal.aborted) throw error;
      throw mcpErrorToToolError(error, config.name, tool);
    }
  }
}

/** The text the model sees for an MCP result: text parts as-is, other parts described. */
export function renderMcpResult(result: McpCallResult): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const parts = content.map((item) => {
    switch (item.type) {
      case 'text':
        return item.text;
      case 'image':
      case 'audio':
        return `[${item.type} ${item.mimeType}, ${Math.floor((item.data.length * 3) / 4)} bytes, not shown]`;
      case 'resource_link':
        return `[resource ${item.uri}${item.name ? ` "${item.name}"` : ''}]`;
      case 'resource':
        return 'text' in item.resource && typeof item.resource.text === 'string'
          ? item.resource.text
          : `[binary resource ${item.resource.uri}]`;
      default:
        return `[${(item as { type: string }).type} content]`;
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}
