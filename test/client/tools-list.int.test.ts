import { toolsListCommand } from '../../src/client/commands/tools';
import { loadConfig } from '../../src/config/load-config';
import type { ToolDescriptor } from '../../src/contracts/tools';
import { echoServerConfig } from '../tools/support/echo-mcp-server';

// `chassis tools list` builds the registry a worker would (built-ins per config + a real MCP server).
async function captureStdout(run: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const config = {
  ...loadConfig(),
  tools: {
    workspaceDir: '/tmp/chassis-tools-list',
    httpAllowedHosts: ['example.com'],
    mcpServers: [echoServerConfig()],
  },
};

describe('chassis tools list', () => {
  test('prints each tool with the first sentence of its description and a policy summary', async () => {
    const text = await captureStdout(() => toolsListCommand(config));
    expect(text).toContain(
      'http_fetch        Fetches a web page or API response with HTTP GET and returns its text.\n',
    );
    expect(text).toContain('                  timeout 20s, 3 attempts, cache 5m, no approval, no fallback\n');
    expect(text).toMatch(
      /workspace_write +Writes a text file .*\n +timeout 10s, 3 attempts, no cache, no approval, no fallback, side effects/,
    );
    expect(text).toMatch(/echo__add +Adds two numbers and returns the sum\./);
    expect(text).toMatch(/^tool_output_read /m);
    // What every worker registers besides the configured tools.
    expect(text).toMatch(/^memory_search +Searches long-term memory/m);
    expect(text).toMatch(/^memory_save /m);
  }, 30_000);

  test('--json prints the descriptors', async () => {
    const text = await captureStdout(() => toolsListCommand(config, { json: true }));
    const descriptors = JSON.parse(text) as ToolDescriptor[];
    expect(descriptors.map((descriptor) => descriptor.name)).toEqual([
      'ask_user',
      'calculator',
      'clock',
      'echo__add',
      'echo__echo',
      'echo__exit',
      'echo__fail',
      'http_fetch',
      'memory_save',
      'memory_search',
      'tool_output_read',
      'workspace_read',
      'workspace_write',
    ]);
    expect(descriptors.find((descriptor) => descriptor.name === 'http_fetch')?.policy).toMatchObject({
      cacheTtlSeconds: 300,
      heartbeatTimeoutMs: 10_000,
    });
  }, 30_000);
});
