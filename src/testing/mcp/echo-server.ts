/**
 * A tiny MCP server over stdio for tests and demos (a real server on the official SDK, not
 * a mock): `echo`, `add`, `fail` (answers with `isError`), `exit` (the process exits, so
 * the client's next call must restart it); with `--effects` also `echo_meta` (answers the
 * request's `_meta`) and a side effect with its checker: `record_effect` records every execution
 * with its `_meta.idempotencyKey`, `effect_status` answers `{"applied":true,"output":"..."}`
 * or `{"applied":false}` for a key (the contract of an MCP server's `outcomeChecks`), and
 * `effect_log` lists the executions. Executions live in this process only.
 * Run: `node -r tsx/cjs src/testing/mcp/echo-server.ts [--effects]`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** Builds the server; exported so an in-process test could connect another transport. */
export function createEchoServer(options: { effects?: boolean } = {}): McpServer {
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
  if (options.effects === true) registerEffectTools(server);
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

/** `echo_meta`, and a side effect that records each execution with the tools to check and list them. */
function registerEffectTools(server: McpServer): void {
  const executions: { text: string; idempotencyKey: string | undefined; output: string }[] = [];
  server.registerTool(
    'echo_meta',
    {
      description: 'Returns the `_meta` object of this request as JSON (to see what the client sent).',
      inputSchema: { note: z.string().optional() },
      annotations: { readOnlyHint: true },
    },
    async (_args, extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra._meta ?? {}) }] }),
  );
  server.registerTool(
    'record_effect',
    {
      description: 'A side effect: records the text with the call’s idempotency key (every execution, duplicates too).',
      inputSchema: { text: z.string() },
    },
    async ({ text }, extra) => {
      const key = extra._meta?.idempotencyKey;
      const output = `recorded "${text}" (execution ${executions.length + 1})`;
      executions.push({ text, idempotencyKey: typeof key === 'string' ? key : undefined, output });
      return { content: [{ type: 'text', text: output }] };
    },
  );
  server.registerTool(
    'effect_status',
    {
      description: 'Says whether record_effect ran with this idempotency key, and what it answered.',
      inputSchema: { idempotencyKey: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ idempotencyKey }) => {
      const execution = executions.find((candidate) => candidate.idempotencyKey === idempotencyKey);
      const answer = execution === undefined ? { applied: false } : { applied: true, output: execution.output };
      return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
    },
  );
  server.registerTool(
    'effect_log',
    {
      description: 'Lists every execution of record_effect as JSON: [{"text","idempotencyKey"}].',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    async () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify(executions.map(({ text, idempotencyKey }) => ({ text, idempotencyKey }))),
        },
      ],
    }),
  );
}

async function main(): Promise<void> {
  const server = createEchoServer({ effects: process.argv.includes('--effects') });
  await server.connect(new StdioServerTransport());
  process.stderr.write('chassis-echo MCP server ready\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`chassis-echo MCP server failed: ${String(error)}\n`);
    process.exit(1);
  });
}
