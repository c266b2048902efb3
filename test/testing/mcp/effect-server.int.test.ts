import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readCallsFile, readEffectsFile } from '../../../src/testing/chaos/effects-file';

// The chaos suite's side-effecting MCP server in a child process, called through the SDK client.
const SERVER_PATH = path.join(__dirname, '..', '..', '..', 'src', 'testing', 'mcp', 'effect-server.ts');

let folder: string;
let effectsFile: string;
let callsFile: string;
const clients: Client[] = [];

async function connect(effectDelayMs = 0): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['-r', 'tsx/cjs', SERVER_PATH],
    env: {
      CHAOS_EFFECTS_FILE: effectsFile,
      CHAOS_CALLS_FILE: callsFile,
      CHAOS_EFFECT_DELAY_MS: String(effectDelayMs),
    },
    cwd: path.join(__dirname, '..', '..', '..'),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'effect-server-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const [first] = result.content as { type: string; text?: string }[];
  return first?.text ?? '';
}

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-effect-server-'));
  effectsFile = path.join(folder, 'effects.jsonl');
  callsFile = path.join(folder, 'calls.jsonl');
});

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  fs.rmSync(folder, { recursive: true, force: true });
});

describe('chaos effect MCP server', () => {
  test('lists record_effect as not idempotent and effect_status as read-only', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(['effect_status', 'record_effect']);
    expect(byName.get('record_effect')?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false });
    expect(byName.get('effect_status')?.annotations).toMatchObject({ readOnlyHint: true });
  }, 30_000);

  test('records every execution with the _meta idempotency key, without deduplicating', async () => {
    const client = await connect();
    const call = (key: string | undefined, label: string) =>
      client.callTool({
        name: 'record_effect',
        arguments: { task: 'unit', label },
        ...(key === undefined ? {} : { _meta: { idempotencyKey: key } }),
      });

    expect(textOf(await call('key-1', 'first'))).toBe('effect "first" recorded');
    await call('key-1', 'first');
    await call(undefined, 'second');

    const effects = readEffectsFile(effectsFile);
    expect(effects.map((effect) => [effect.idempotencyKey, effect.arguments.label])).toEqual([
      ['key-1', 'first'],
      ['key-1', 'first'],
      [null, 'second'],
    ]);
    expect(effects[0]).toMatchObject({ tool: 'record_effect', output: 'effect "first" recorded' });
    expect(effects[0]?.pid).toBeGreaterThan(0);
    expect(readCallsFile(callsFile).map((record) => record.idempotencyKey)).toEqual(['key-1', 'key-1', null]);
  }, 30_000);

  test('effect_status answers whether a key was applied, with the output', async () => {
    const client = await connect();
    await client.callTool({
      name: 'record_effect',
      arguments: { task: 'unit', label: 'checked' },
      _meta: { idempotencyKey: 'key-applied' },
    });
    const status = async (idempotencyKey: string) =>
      JSON.parse(textOf(await client.callTool({ name: 'effect_status', arguments: { idempotencyKey } }))) as unknown;

    expect(await status('key-applied')).toEqual({ applied: true, output: 'effect "checked" recorded' });
    expect(await status('key-never-sent')).toEqual({ applied: false });
  }, 30_000);

  test('finishes an effect in progress when its client goes away, as a remote system would', async () => {
    const client = await connect(1_500);
    const pending = client
      .callTool({
        name: 'record_effect',
        arguments: { task: 'unit', label: 'orphaned' },
        _meta: { idempotencyKey: 'k' },
      })
      .catch(() => undefined);
    // Wait until the call has reached the server, then drop the client as a killed worker would.
    const deadline = Date.now() + 10_000;
    while (readCallsFile(callsFile).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(readCallsFile(callsFile)).toHaveLength(1);
    await client.close();
    await pending;

    while (readEffectsFile(effectsFile).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(readEffectsFile(effectsFile).map((effect) => effect.arguments.label)).toEqual(['orphaned']);
    // Attributed to the process that started the server (the worker, in the chaos suite).
    expect(readEffectsFile(effectsFile)[0]?.workerPid).toBe(process.pid);
  }, 30_000);
});
