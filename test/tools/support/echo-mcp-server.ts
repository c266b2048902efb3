import path from 'node:path';
import type { McpServerConfig } from '../../../src/config/mcp-servers';

/** Path of the tiny MCP server the tests start as a child process. */
export const ECHO_SERVER_PATH = path.join(__dirname, '..', '..', '..', 'src', 'testing', 'mcp', 'echo-server.ts');

/**
 * Config that starts the echo MCP server with this Node and tsx's CommonJS loader; `effects`
 * adds `record_effect`, `effect_status` and `effect_log`; `destructive` adds `wipe`,
 * `wipe_preview` and `wipe_log`.
 */
export function echoServerConfig(
  name = 'echo',
  options: { effects?: boolean; destructive?: boolean } = {},
): McpServerConfig {
  const flags = [
    ...(options.effects === true ? ['--effects'] : []),
    ...(options.destructive === true ? ['--destructive'] : []),
  ];
  return { name, command: process.execPath, args: ['-r', 'tsx/cjs', ECHO_SERVER_PATH, ...flags] };
}
