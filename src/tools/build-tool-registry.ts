import type { Db } from 'mongodb';
import type { FieldEncryption } from '../codec/field-encryption';
import type { ToolsSettings } from '../config/tools-settings';
import { builtInTools, type HttpFetchOptions } from './builtin';
import type { Now } from './builtin/clock';
import { connectMcpServers, type McpToolSet } from './mcp/mcp-tools';
import { ToolRegistry } from './registry';

/**
 * What a registry is built from: the tool settings of `ChassisConfig.tools`, whose `http`
 * part tests and benchmarks may widen with the size and time limits of `http_fetch`.
 */
export interface ToolsConfig extends Omit<ToolsSettings, 'http'> {
  /** Size and time limits of `http_fetch`, and which private addresses it may reach. */
  http?: Omit<HttpFetchOptions, 'allowedHosts'>;
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
