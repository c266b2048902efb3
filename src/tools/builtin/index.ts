import type { Db } from 'mongodb';
import type { FieldEncryption } from '../../codec/field-encryption';
import type { Tool } from '../tool';
import { askUserTool } from './ask-user';
import { calculatorTool } from './calculator';
import { createClockTool, type Now } from './clock';
import { createHttpFetchTool, type HttpFetchOptions } from './http-fetch';
import { createToolOutputReadTool } from './tool-output-read';
import { createWorkspaceReadTool, createWorkspaceWriteTool } from './workspace';

export { askUserTool } from './ask-user';
export { calculatorTool } from './calculator';
export { createClockTool } from './clock';
export { createHttpFetchTool, httpStatusError, isHostAllowed } from './http-fetch';
export type { HttpFetchOptions } from './http-fetch';
export { createToolOutputReadTool } from './tool-output-read';
export { createWorkspaceReadTool, createWorkspaceWriteTool } from './workspace';
export { resolveWorkspacePath } from './workspace-paths';

/** Options of {@link builtInTools}; a tool whose option is missing is not registered. */
export interface BuiltInToolsOptions {
  /** The clock tool's time source. @default `() => new Date()` */
  now?: Now;
  /** Folder `workspace_read` / `workspace_write` are confined to (created on first use). */
  workspaceDir?: string;
  /** Hosts `http_fetch` may GET from (`CHASSIS_HTTP_ALLOWED_HOSTS`); `http_fetch` needs at least one. */
  httpAllowedHosts?: string[];
  /** Size and time limits of `http_fetch`. */
  http?: Omit<HttpFetchOptions, 'allowedHosts'>;
  /** Where long outputs are stored: enables `tool_output_read`. */
  db?: Db;
  /** How stored outputs are encrypted (the runner's). @default plain */
  fields?: FieldEncryption;
  /** Offer `ask_user` (answered by a person through the workflow). @default false */
  askUser?: boolean;
}

/**
 * The built-in tools: `calculator` and `clock` always; `http_fetch` with an allow-list;
 * `workspace_read` / `workspace_write` with a workspace folder; `tool_output_read` with a
 * database; `ask_user` when asked for. A tool the model could never use successfully is
 * not offered at all.
 */
export function builtInTools(options: BuiltInToolsOptions = {}): Tool[] {
  const tools: Tool[] = [calculatorTool as Tool, createClockTool(options.now) as Tool];
  const hosts = (options.httpAllowedHosts ?? []).filter((host) => host.trim() !== '');
  if (hosts.length > 0) tools.push(createHttpFetchTool({ ...options.http, allowedHosts: hosts }) as Tool);
  if (options.workspaceDir !== undefined) {
    tools.push(
      createWorkspaceReadTool(options.workspaceDir) as Tool,
      createWorkspaceWriteTool(options.workspaceDir) as Tool,
    );
  }
  if (options.db !== undefined) tools.push(createToolOutputReadTool(options.db, options.fields) as Tool);
  if (options.askUser) tools.push(askUserTool as Tool);
  return tools;
}
