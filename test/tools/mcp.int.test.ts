import { connectMcpServers, type McpToolSet } from '../../src/tools/mcp/mcp-tools';
import { ToolRegistry } from '../../src/tools/registry';
import { ToolRunner } from '../../src/tools/tool-runner';
import { echoServerConfig } from './support/echo-mcp-server';

// A real MCP server (src/testing/mcp/echo-server.ts, on the official SDK) in a child process over stdio.
let mcp: McpToolSet;
let runner: ToolRunner;

beforeAll(async () => {
  mcp = await connectMcpServers([echoServerConfig()]);
  runner = new ToolRunner({ registry: new ToolRegistry(mcp.tools) });
}, 30_000);

afterAll(async () => {
  await mcp?.close();
});

const context = { idempotencyKey: 'k', signal: new AbortController().signal, heartbeat: () => undefined };
const run = (name: string, args: unknown) => runner.run({ id: 'c1', name, arguments: JSON.stringify(args) }, context);

describe('MCP tools', () => {
  test('are listed as <server>__<tool> with the server’s schema and a policy from their annotations', () => {
    expect(mcp.servers).toEqual([{ name: 'echo', tools: ['echo__echo', 'echo__add', 'echo__fail', 'echo__exit'] }]);
    const [add] = runner.registry.descriptors(['echo__add']);
    expect(add).toMatchObject({
      name: 'echo__add',
      description: 'Adds two numbers and returns the sum. (Tool "add" of MCP server "echo".)',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number', minimum: 0 } },
        required: ['a', 'b'],
      },
      policy: { idempotent: true },
    });
    expect(add?.parameters).not.toHaveProperty('$schema');
    expect(runner.registry.policyOf('echo__exit')?.idempotent).toBe(false);
  });

  test('are called through the SDK client', async () => {
    expect(await run('echo__echo', { text: 'hello over stdio' })).toEqual({
      callId: 'c1',
      name: 'echo__echo',
      ok: true,
      output: 'hello over stdio',
    });
    expect(await run('echo__add', { a: 2, b: 40 })).toMatchObject({ ok: true, output: '42' });
  });

  test('arguments are validated against the JSON Schema before the server is called', async () => {
    const result = await run('echo__add', { a: 2, b: -1 });
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.InvalidArguments' } });
    expect(!result.ok && result.error.message).toBe(
      'invalid arguments for echo__add: b: Too small: expected number to be >=0. Example of valid arguments: {"a":1,"b":0}',
    );
  });

  test('a tool error (isError) is a permanent observation for the model', async () => {
    expect(await run('echo__fail', { message: 'quota exceeded' })).toMatchObject({
      ok: false,
      error: { type: 'Tool.Permanent', message: 'echo__fail failed: quota exceeded' },
    });
  });

  test('a server that exits is restarted on the next call', async () => {
    expect(await run('echo__exit', {})).toMatchObject({ ok: true, output: 'exiting' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await run('echo__echo', { text: 'back' })).toMatchObject({ ok: true, output: 'back' });
  });

  test('a server that cannot start fails with its command and stderr in the message', async () => {
    await expect(
      connectMcpServers(
        [
          {
            name: 'broken',
            command: process.execPath,
            args: ['-e', 'console.error("boom: bad config"); process.exit(3)'],
          },
        ],
        {
          connectTimeoutMs: 5_000,
        },
      ),
    ).rejects.toThrow(/MCP server "broken" \(.*\) did not start: .*boom: bad config/s);
  });
});
