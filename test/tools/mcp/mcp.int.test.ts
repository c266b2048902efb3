import { mcpServersConfigSchema, type McpServerConfig } from '../../../src/config/mcp-servers';
import { connectMcpServers, mcpToolPolicy, parseOutcomeCheck, type McpToolSet } from '../../../src/tools/mcp/mcp-tools';
import { TOOL_EFFECTS_COLLECTION } from '../../../src/tools/effect-ledger';
import type { Tool } from '../../../src/tools/tool';
import { openTestDatabase, type TestDatabase } from '../../../src/testing/test-database';
import { ToolRegistry } from '../../../src/tools/registry';
import { ToolRunner } from '../../../src/tools/tool-runner';
import { insertDeadClaim } from '../support/dead-claim';
import { echoServerConfig } from '../support/echo-mcp-server';

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

describe('MCP side effects: idempotency keys and outcome checks', () => {
  // The echo server with --effects: `record_effect` records each execution with its
  // `_meta.idempotencyKey`, `effect_status` is its checker, `effect_log` lists executions.
  let effects: McpToolSet;
  let database: TestDatabase;
  let effectsRunner: ToolRunner;

  beforeAll(async () => {
    database = await openTestDatabase('mcp_effects');
    effects = await connectMcpServers([
      { ...echoServerConfig('fx', { effects: true }), outcomeChecks: { record_effect: 'effect_status' } },
    ]);
    effectsRunner = new ToolRunner({
      registry: new ToolRegistry(effects.tools),
      db: database.db,
      warn: () => undefined,
    });
  }, 30_000);

  afterAll(async () => {
    await effects?.close();
    await database?.drop();
  });

  const contextWithKey = (idempotencyKey: string) => ({ ...context, idempotencyKey });
  const runWithKey = (name: string, args: unknown, idempotencyKey: string) =>
    effectsRunner.run({ id: 'c1', name, arguments: JSON.stringify(args) }, contextWithKey(idempotencyKey));
  async function executions(): Promise<{ text: string; idempotencyKey?: string }[]> {
    const log = await runWithKey('fx__effect_log', {}, 'log');
    if (!log.ok) throw new Error(`effect_log failed: ${JSON.stringify(log)}`);
    return JSON.parse(log.output) as { text: string; idempotencyKey?: string }[];
  }

  test('every call carries the idempotency key in its _meta, beside the SDK’s progress token', async () => {
    const result = await runWithKey('fx__echo_meta', {}, 'wf-mcp/step-1/call-1');
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.ok ? result.output : '{}')).toMatchObject({
      idempotencyKey: 'wf-mcp/step-1/call-1',
      progressToken: expect.anything(),
    });
    await runWithKey('fx__record_effect', { text: 'first' }, 'wf-mcp/step-1/call-2');
    expect(await executions()).toContainEqual({ text: 'first', idempotencyKey: 'wf-mcp/step-1/call-2' });
  });

  test('a dead attempt’s claim is resolved by the configured checker: applied → its output, no second execution', async () => {
    const key = 'wf-mcp/step-2/call-1';
    const recordEffect = effects.tools.find((tool) => tool.name === 'fx__record_effect') as Tool;
    expect(recordEffect.checkOutcome).toBeDefined();
    // The dead attempt: the server executed the call, the worker died before recording it.
    const output = await recordEffect.execute({ text: 'paid' }, contextWithKey(key));
    await insertDeadClaim(database.db, key, 'fx__record_effect', { text: 'paid' });
    const before = (await executions()).length;
    expect(await runWithKey('fx__record_effect', { text: 'paid' }, key)).toMatchObject({ ok: true, output });
    expect(await executions()).toHaveLength(before);
    expect(await database.db.collection(TOOL_EFFECTS_COLLECTION).findOne({ idempotencyKey: key })).toMatchObject({
      state: 'done',
      resolution: 'checked-applied',
      outcome: { output },
    });

    // Not applied (no execution under this key): the call runs, once.
    const freshKey = 'wf-mcp/step-3/call-1';
    await insertDeadClaim(database.db, freshKey, 'fx__record_effect', { text: 'later' });
    expect(await runWithKey('fx__record_effect', { text: 'later' }, freshKey)).toMatchObject({ ok: true });
    expect((await executions()).filter((execution) => execution.idempotencyKey === freshKey)).toHaveLength(1);
  });

  test('a checker’s answer must follow the contract', () => {
    expect(parseOutcomeCheck('{"applied":true,"output":"done"}', 'c')).toEqual({ applied: true, output: 'done' });
    expect(parseOutcomeCheck('{"applied":false}', 'c')).toEqual({ applied: false });
    expect(() => parseOutcomeCheck('yes', 'effect_status')).toThrow(
      'outcome checker effect_status answered "yes"; expected {"applied":true,"output":"..."} or {"applied":false}',
    );
  });

  test('outcomeChecks naming a tool the server does not offer fails at start, naming it', async () => {
    await expect(
      connectMcpServers([
        { ...echoServerConfig('typo', { effects: true }), outcomeChecks: { record_effect: 'status' } },
      ]),
    ).rejects.toThrow(/MCP server "typo": outcomeChecks names "status", which the server does not offer; its tools: /);
  }, 30_000);

  test('a server policy can declare that it deduplicates by idempotency key', () => {
    const config = mcpServersConfigSchema.parse([
      { name: 'pay', command: 'node', policy: { acceptsIdempotencyKey: true }, outcomeChecks: { charge: 'status' } },
    ]);
    expect(mcpToolPolicy({}, config[0] as McpServerConfig)).toEqual({ idempotent: false, acceptsIdempotencyKey: true });
  });

  test('a tool that declares itself destructive needs approval unless the server policy says requiresApproval: false', async () => {
    const gated = await connectMcpServers([echoServerConfig('files', { destructive: true })]);
    const trusted = await connectMcpServers([
      { ...echoServerConfig('scratch', { destructive: true }), policy: { requiresApproval: false } },
    ]);
    try {
      const policies = new ToolRegistry([...gated.tools, ...trusted.tools]);
      expect(policies.policyOf('files__wipe')).toMatchObject({ requiresApproval: true, idempotent: false });
      // readOnlyHint wins over destructiveHint: a tool that only reads destroys nothing.
      expect(policies.policyOf('files__wipe_preview')).toMatchObject({ requiresApproval: false, idempotent: true });
      expect(policies.policyOf('files__echo')?.requiresApproval).toBe(false);
      expect(policies.policyOf('scratch__wipe')).toMatchObject({ requiresApproval: false, idempotent: false });
      // What the workflow reads to decide whether to wait for a person.
      const [descriptor] = policies.descriptors(['files__wipe']);
      expect(descriptor?.policy.requiresApproval).toBe(true);
    } finally {
      await gated.close();
      await trusted.close();
    }
  }, 30_000);
});
