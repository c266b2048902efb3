export { mcpServerConfigSchema, mcpServersConfigSchema, parseMcpServersConfig } from './config';
export type { McpServerConfig, McpServerConfigInput } from './config';
export { connectMcpServers, mcpToolName, mcpToolPolicy, renderMcpResult, MCP_NAME_SEPARATOR } from './mcp-tools';
export type { ConnectMcpServersOptions, McpToolSet } from './mcp-tools';
export { jsonSchemaToZod, exampleFromJsonSchema } from './json-schema';
