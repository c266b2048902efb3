/**
 * A tiny MCP server over stdio for tests and demos (a real server on the official SDK, not
 * a mock): `echo`, `add`, `fail` (answers with `isError`) and `exit` (the process exits, so
 * the client's next call must restart it). Run: `node -r tsx/cjs src/testing/mcp/echo-server.ts`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** Builds the server; exported so an in-process test could connect another transport. */
export function createEchoServer(): McpServer {
  const server = new McpServer({ name: 'chassis-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Returns the given text unchanged.',
      inputSchema: { text: z.string().min(1).describe('The text to echo') },
      annotations: { readOnlyHint: true },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers and returns the sum.',
      inputSchema: { a: z.number(), b: z.number().min(0).describe('A non-negative number') },
      annotations: { readOnlyHint: true },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  server.registerTool(
    'fail',
    {
      description: 'Always fails with the given message (as a tool error, not a protocol error).',
      inputSchema: { message: z.string() },
    },
    async ({ message }) => ({ content: [{ type: 'text', text: message }], isError: true }),
  );
  server.registerTool(
    'exit',
    { description: 'Stops the server process (to test reconnection).', inputSchema: {} },
    async () => {
      setTimeout(() => process.exit(0), 10);
      return { content: [{ type: 'text', text: 'exiting' }] };
    },
  );
  return server;
}

async function main(): Promise<void> {
  const server = createEchoServer();
  await server.connect(new StdioServerTransport());
  process.stderr.write('chassis-echo MCP server ready\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`chassis-echo MCP server failed: ${String(error)}\n`);
    process.exit(1);
  });
}
