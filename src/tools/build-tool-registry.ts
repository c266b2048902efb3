import type { Db } from 'mongodb';
import type { FieldEncryption } from '../codec/field-encryption';
import { builtInTools, type HttpFetchOptions } from './builtin';
import type { Now } from './builtin/clock';
import { connectMcpServers, type McpToolSet } from './mcp/mcp-tools';
import type { McpServerConfig } from './mcp/config';
import { ToolRegistry } from './registry';

/**
 * The tool settings of a Chassis process (`ChassisConfig.tools`), from `CHASSIS_WORKSPACE_DIR`,
 * `CHASSIS_HTTP_ALLOWED_HOSTS` (comma-separated) and `CHASSIS_MCP_SERVERS` (JSON).
 */
export interface ToolsConfig {
  /** Folder of `workspace_read` / `workspace_write`; unset = those tools are not offered. */
  workspaceDir?: string;
  /** Hosts `http_fetch` may GET from; empty = `http_fetch` is not offered. */
  httpAllowedHosts?: string[];
  /** Size and time limits of `http_fetch`. */
  http?: Omit<HttpFetchOptions, 'allowedHosts'>;
  /** MCP servers whose tools are registered as `<server>__<tool>`. */
  mcpServers?: McpServerConfig[];
}

/** A registry and what must be closed with it (MCP server processes). */
export interface BuiltToolRegistry {
  registry: ToolRegistry;
  mcp: McpToolSet | undefined;
  close(): Promise<void>;
}

/**
 * Builds the registry a worker (or `chassis tools list`) uses: built-in tools per the config,
 * plus the tools of every configured MCP server. Call `close()` when the process stops.
 */
export async function buildToolRegistry(
  config: ToolsConfig,
  options: {
    db?: Db;
    /** How stored tool outputs are encrypted. @default plain */
    fields?: FieldEncryption;
    now?: Now;
    mcpLog?: (line: string) => void;
    warn?: (message: string) => void;
  } = {},
): Promise<BuiltToolRegistry> {
  const registry = new ToolRegistry(
    builtInTools({
      now: options.now,
      workspaceDir: config.workspaceDir,
      httpAllowedHosts: config.httpAllowedHosts,
      http: config.http,
      db: options.db,
      fields: options.fields,
      // Workers offer ask_user: a task may wait days for its answer (the workflow holds the wait).
      askUser: true,
    }),
  );
  const servers = config.mcpServers ?? [];
  const mcp =
    servers.length === 0 ? undefined : await connectMcpServers(servers, { log: options.mcpLog, warn: options.warn });
  try {
    for (const tool of mcp?.tools ?? []) registry.register(tool);
  } catch (error) {
    await mcp?.close();
    throw error;
  }
  return { registry, mcp, close: async () => mcp?.close() };
}
