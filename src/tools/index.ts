export { ToolRegistry } from './registry';
export type { PreparedToolCall, RejectedToolCall } from './registry';
export { defineTool } from './tool';
export type { Tool, ToolContext } from './tool';
export { TransientToolError, PermanentToolError } from './tool-errors';
export { resolvePolicy, summarizePolicy } from './policy';
export { canonicalJson, toolCacheKey } from './canonical-key';
export { ToolResultCache, TOOL_CACHE_COLLECTION } from './result-cache';
export { ToolOutputStore, TOOL_OUTPUTS_COLLECTION, TOOL_OUTPUT_READ_NAME, excerptOutput } from './output-store';
export { ToolEffectLedger, TOOL_EFFECTS_COLLECTION } from './effect-ledger';
export { createToolBreaker, countsAsToolFailure } from './tool-breaker';
export type { ToolBreakerOptions } from './tool-breaker';
export { ToolRunner } from './tool-runner';
export type { ToolRunnerOptions } from './tool-runner';
export { ToolFailureType } from './tool-result';
export type { ToolRunResult } from './tool-result';
export { buildToolRegistry } from './build-tool-registry';
export type { ToolsConfig, BuiltToolRegistry } from './build-tool-registry';
export {
  builtInTools,
  calculatorTool,
  createClockTool,
  createHttpFetchTool,
  createWorkspaceReadTool,
  createWorkspaceWriteTool,
} from './builtin';
export type { BuiltInToolsOptions } from './builtin';
export { connectMcpServers, parseMcpServersConfig, mcpServersConfigSchema } from './mcp';
export type { McpServerConfig } from './mcp';
