import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { createToolOutputReadTool, createWorkspaceWriteTool } from '../../src/tools/builtin';
import { createToolBreaker } from '../../src/tools/tool-breaker';
import { TOOL_EFFECTS_COLLECTION, effectId } from '../../src/tools/effect-ledger';
import { TOOL_OUTPUTS_COLLECTION } from '../../src/tools/output-store';
import { ToolRegistry } from '../../src/tools/registry';
import { TOOL_CACHE_COLLECTION, ToolResultCache } from '../../src/tools/result-cache';
import { defineTool, type Tool } from '../../src/tools/tool';
import { TransientToolError } from '../../src/tools/tool-errors';
import { ToolRunner } from '../../src/tools/tool-runner';
import { countingLookup, flakyTool } from './support/counting-tools';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

// The real local MongoDB-wire server (FerretDB here); one database for this file, dropped after.
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase('tool_runner');
});

afterAll(async () => {
  await database.drop();
});

let sequence = 0;
function call(name: string, args: unknown) {
  sequence += 1;
  return { id: `call-${sequence}`, name, arguments: JSON.stringify(args) };
}

function context(idempotencyKey = `wf/step-1/call-${sequence}`) {
  return { idempotencyKey, signal: new AbortController().signal, heartbeat: () => undefined };
}

function runner(tools: Tool[], options: Partial<ConstructorParameters<typeof ToolRunner>[0]> = {}) {
  return new ToolRunner({ registry: new ToolRegistry(tools), db: database.db, warn: () => undefined, ...options });
}

describe('result cache', () => {
  test('the second identical call is served from MongoDB without running the tool', async () => {
    const lookup = countingLookup({ name: 'lookup_hit', delayMs: 60 });
    const first = await runner([lookup.tool]).run(call('lookup_hit', { q: 'capital of France' }), context());
    // A new runner: the hit comes from MongoDB, not from memory of this process.
    const second = await runner([lookup.tool]).run(call('lookup_hit', { q: 'capital of France' }), context());
    expect(first).toMatchObject({ ok: true, output: 'answer for capital of France' });
    expect(first).not.toHaveProperty('cached');
    expect(second).toMatchObject({ ok: true, output: 'answer for capital of France', cached: true });
    expect((second as { savedMs: number }).savedMs).toBeGreaterThanOrEqual(50);
    expect(lookup.executions).toHaveLength(1);

    // Other arguments, or a new version of the tool, miss.
    await runner([lookup.tool]).run(call('lookup_hit', { q: 'capital of Spain' }), context());
    const bumped = { ...lookup.tool, policy: { ...lookup.tool.policy, version: '2' } };
    const afterBump = await runner([bumped]).run(call('lookup_hit', { q: 'capital of France' }), context());
    expect(afterBump).not.toHaveProperty('cached');
    expect(lookup.executions).toHaveLength(3);
  });

  test('an expired entry is not served, and is purged', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const clock = () => now;
    const lookup = countingLookup({ name: 'lookup_ttl', policy: { cacheTtlSeconds: 10 } });
    const ttlRunner = runner([lookup.tool], { now: clock });
    await ttlRunner.run(call('lookup_ttl', { q: 'a' }), context());
    now = new Date(now.getTime() + 9_000);
    expect(await ttlRunner.run(call('lookup_ttl', { q: 'a' }), context())).toMatchObject({ cached: true });
    now = new Date(now.getTime() + 2_000); // 11 s after writing: expired
    const afterExpiry = await ttlRunner.run(call('lookup_ttl', { q: 'a' }), context());
    expect(afterExpiry).not.toHaveProperty('cached');
    expect(lookup.executions).toHaveLength(2);
    // The re-run wrote a fresh entry that expires 10 s from the new "now".
    const entries = await database.db.collection(TOOL_CACHE_COLLECTION).find({ tool: 'lookup_ttl' }).toArray();
    expect(entries).toHaveLength(1);
    expect((entries[0]?.expiresAt as Date).toISOString()).toBe('2026-01-01T00:00:21.000Z');

    // The sweep deletes entries nobody reads again.
    await ttlRunner.run(call('lookup_ttl', { q: 'b' }), context());
    now = new Date(now.getTime() + 60_000);
    const cache = new ToolResultCache(database.db, { now: clock });
    expect(await cache.purgeExpired()).toBe(2);
    expect(await database.db.collection(TOOL_CACHE_COLLECTION).countDocuments({ tool: 'lookup_ttl' })).toBe(0);
  });

  test('a TTL index is created where the server has them; FerretDB v1 gets a plain index and purge-on-read', async () => {
    const mode = await new ToolResultCache(database.db).ensureIndexes();
    expect(['ttl-index', 'purge-on-read']).toContain(mode);
    const indexes = await database.db.collection(TOOL_CACHE_COLLECTION).indexes();
    const expiry = indexes.find((index) => index.key.expiresAt === 1);
    expect(expiry).toBeDefined();
    expect(expiry?.expireAfterSeconds).toBe(mode === 'ttl-index' ? 0 : undefined);
  });

  test('an unreachable cache is a miss, not a failure: the tool runs and a warning is given', async () => {
    const unreachable = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 200 });
    const warnings: string[] = [];
    const lookup = countingLookup({ name: 'lookup_degraded' });
    const degraded = new ToolRunner({
      registry: new ToolRegistry([lookup.tool]),
      db: unreachable.db('nowhere'),
      warn: (message) => warnings.push(message),
    });
    try {
      expect(await degraded.run(call('lookup_degraded', { q: 'x' }), context())).toMatchObject({ ok: true });
    } finally {
      await unreachable.close();
    }
    expect(lookup.executions).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/cache unavailable, running the tool instead/);
  });
});

describe('large outputs', () => {
  test('are stored in tool_outputs; the model gets a bounded excerpt and a reference it can read from', async () => {
    const big = Array.from({ length: 2_000 }, (_, index) => `line ${index}`).join('\n');
    const lookup = countingLookup({ name: 'lookup_big', output: () => big, policy: { maxOutputChars: 1_000 } });
    const tools = [lookup.tool, createToolOutputReadTool(database.db) as Tool];
    const result = await runner(tools).run(call('lookup_big', { q: 'all' }), context());
    if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    expect(result.output.length).toBeLessThanOrEqual(1_000);
    expect(result.output.startsWith('line 0\nline 1\n')).toBe(true);
    expect(result.outputRef).toMatch(/^tool-output:[0-9a-f]{64}$/);
    expect(result.output).toContain(`Full output stored as ${result.outputRef}`);
    const stored = await database.db
      .collection<{ _id: string; content: string }>(TOOL_OUTPUTS_COLLECTION)
      .findOne({ _id: result.outputRef?.slice('tool-output:'.length) ?? '' });
    expect(stored?.content).toBe(big);

    // The model follows the note and reads on.
    const offset = Number(/"offset":(\d+)/.exec(result.output)?.[1]);
    const next = await runner(tools).run(
      call('tool_output_read', { ref: result.outputRef, offset, length: 50 }),
      context(),
    );
    expect(next).toMatchObject({ ok: true });
    expect(next.ok && next.output).toContain(big.slice(offset, offset + 50));

    // The cached result carries the same reference; equal outputs are stored once.
    const hit = await runner(tools).run(call('lookup_big', { q: 'all' }), context());
    expect(hit).toMatchObject({ cached: true, outputRef: result.outputRef, output: result.output });
    await runner(tools).run(call('lookup_big', { q: 'everything' }), context());
    expect(await database.db.collection(TOOL_OUTPUTS_COLLECTION).countDocuments({ tool: 'lookup_big' })).toBe(1);
  });
});

describe('circuit breakers', () => {
  test('open after N transient failures (without running the tool), and close after the cool-down', async () => {
    let failing = true;
    const flaky = flakyTool(() => failing, 'flaky_breaker');
    const breakerRunner = runner([flaky.tool], {
      breakers: createToolBreaker({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 400 }),
    });
    await expect(breakerRunner.run(call('flaky_breaker', { n: 1 }), context())).rejects.toThrow('upstream 503');
    await expect(breakerRunner.run(call('flaky_breaker', { n: 1 }), context())).rejects.toThrow('upstream 503');
    const refused = await breakerRunner.run(call('flaky_breaker', { n: 1 }), context());
    expect(refused).toMatchObject({
      ok: false,
      error: {
        type: 'Tool.CircuitOpen',
        message: 'tool flaky_breaker is unavailable for 1 s after repeated failures; use another approach',
      },
    });
    expect(flaky.executions).toHaveLength(2);

    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await breakerRunner.run(call('flaky_breaker', { n: 1 }), context())).toMatchObject({
      ok: true,
      output: 'ok',
    });
    expect(breakerRunner.breakers.state('flaky_breaker')).toBe('closed');
    expect(flaky.executions).toHaveLength(3);
  });

  test('invalid arguments never reach the breaker', async () => {
    const flaky = flakyTool(() => true, 'flaky_invalid');
    const breakerRunner = runner([flaky.tool], {
      breakers: createToolBreaker({ opensOn: { consecutiveFailures: 1 }, coolDownMs: 60_000 }),
    });
    for (let index = 0; index < 3; index++) {
      expect(await breakerRunner.run(call('flaky_invalid', { n: 'one' }), context())).toMatchObject({
        ok: false,
        error: { type: 'Tool.InvalidArguments' },
      });
    }
    expect(breakerRunner.breakers.state('flaky_invalid')).toBe('closed');
    expect(flaky.executions).toHaveLength(0);
  });
});

describe('idempotency of side effects', () => {
  let workspace: string;
  beforeAll(() => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'chassis-ledger-'));
  });
  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
  });

  test('a retried append with the same idempotency key is not written twice', async () => {
    const tools = [createWorkspaceWriteTool(workspace) as Tool];
    const append = { path: 'log.txt', content: 'line\n', mode: 'append' };
    const first = await runner(tools).run(call('workspace_write', append), context('wf-1/step-1/call-a'));
    // A retry is another attempt (another runner, as on another worker) with the same key.
    const retry = await runner(tools).run(call('workspace_write', append), context('wf-1/step-1/call-a'));
    expect(first).toMatchObject({ ok: true, output: 'appended 5 characters to log.txt; it now has 5 bytes' });
    expect(retry).toMatchObject({ ok: true, output: first.ok ? first.output : '' });
    expect(readFileSync(path.join(workspace, 'log.txt'), 'utf8')).toBe('line\n');
    // A new call (new key) does write.
    await runner(tools).run(call('workspace_write', append), context('wf-1/step-2/call-b'));
    expect(readFileSync(path.join(workspace, 'log.txt'), 'utf8')).toBe('line\nline\n');
  });

  test('an attempt that failed transiently did not complete its effect, so the retry runs it', async () => {
    let attempt = 0;
    const effects: number[] = [];
    const tool = defineTool({
      name: 'send_once',
      description: 'Sends a message.',
      input: z.object({ text: z.string() }),
      example: { text: 'hi' },
      policy: { idempotent: false },
      async execute() {
        attempt += 1;
        if (attempt === 1) throw new TransientToolError('connection reset before sending');
        effects.push(attempt);
        return `sent (attempt ${attempt})`;
      },
    });
    const key = 'wf-2/step-1/call-a';
    await expect(runner([tool as Tool]).run(call('send_once', { text: 'hi' }), context(key))).rejects.toThrow(/reset/);
    expect(await runner([tool as Tool]).run(call('send_once', { text: 'hi' }), context(key))).toMatchObject({
      output: 'sent (attempt 2)',
    });
    expect(await runner([tool as Tool]).run(call('send_once', { text: 'hi' }), context(key))).toMatchObject({
      output: 'sent (attempt 2)',
    });
    expect(effects).toEqual([2]);
  });

  test('while one attempt runs, a concurrent one with the same key backs off; a dead attempt’s claim is taken over', async () => {
    let release: () => void = () => undefined;
    const effects: string[] = [];
    const tool = defineTool({
      name: 'slow_effect',
      description: 'A slow side effect.',
      input: z.object({ text: z.string() }),
      example: { text: 'hi' },
      policy: { idempotent: false },
      async execute({ text }) {
        effects.push(text);
        if (text === 'slow') await new Promise<void>((resolve) => (release = resolve));
        return `done ${text}`;
      },
    });
    const tools = [tool as Tool];
    const key = 'wf-3/step-1/call-a';
    const first = runner(tools).run(call('slow_effect', { text: 'slow' }), context(key));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(runner(tools).run(call('slow_effect', { text: 'slow' }), context(key))).rejects.toThrow(
      /earlier attempt of this slow_effect call is still running/,
    );
    release();
    expect(await first).toMatchObject({ output: 'done slow' });
    expect(await runner(tools).run(call('slow_effect', { text: 'slow' }), context(key))).toMatchObject({
      output: 'done slow',
    });
    expect(effects).toEqual(['slow']);

    // A claim left by a worker that died (its lease passed) is taken over by the next attempt.
    const deadKey = 'wf-3/step-2/call-b';
    await database.db.collection(TOOL_EFFECTS_COLLECTION).insertOne({
      _id: effectId(deadKey, 'slow_effect', { text: 'fast' }) as never,
      idempotencyKey: deadKey,
      tool: 'slow_effect',
      state: 'running',
      owner: 'dead-worker',
      leaseExpiresAt: new Date(Date.now() - 1_000),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(await runner(tools).run(call('slow_effect', { text: 'fast' }), context(deadKey))).toMatchObject({
      output: 'done fast',
    });
    expect(effects).toEqual(['slow', 'fast']);
  });
});
