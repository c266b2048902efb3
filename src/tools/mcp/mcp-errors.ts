import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { PermanentToolError, TransientToolError } from '../tool-errors';

/**
 * Translates an MCP failure (the one place for MCP): a closed connection, a timeout or an
 * internal server error may pass, so they are transient (the next attempt reconnects);
 * invalid parameters, unknown methods or tools are permanent and go back to the model.
 */
export function mcpErrorToToolError(error: unknown, server: string, tool: string): Error {
  const what = `MCP tool ${tool} of server ${server}`;
  if (error instanceof McpError) {
    switch (error.code) {
      case ErrorCode.ConnectionClosed:
      case ErrorCode.RequestTimeout:
      case ErrorCode.InternalError:
        return new TransientToolError(`${what}: ${error.message}`);
      default:
        return new PermanentToolError(`${what}: ${error.message}`);
    }
  }
  // Process start failures, broken pipes: the server may come back on the next attempt.
  return new TransientToolError(`${what}: ${(error as Error).message}`);
}
