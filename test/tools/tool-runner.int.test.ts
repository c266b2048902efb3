import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MongoClient } from 'mongodb';
import { explicitCancellation } from '../../src/activities/tool-activities';
import { z } from 'zod';
import { createToolOutputReadTool, createWorkspaceWriteTool } from '../../src/tools/builtin';
import { createToolBreaker } from '../../src/tools/tool-breaker';
import { TOOL_EFFECTS_COLLECTION, effectId, type ToolEffectRecord } from '../../src/tools/effect-ledger';
import type { InfrastructureUnavailableError } from '../../src/resilience/infrastructure-retry';
import { TOOL_OUTPUTS_COLLECTION } from '../../src/tools/output-store';
import { ToolRegistry } from '../../src/tools/registry';
import { TOOL_CACHE_COLLECTION, ToolResultCache } from '../../src/tools/result-cache';
import { defineTool, type Tool } from '../../src/tools/tool';
import { OpenOutcomeError, TransientToolError } from '../../src/tools/tool-errors';
import { ToolRunner } from '../../src/tools/tool-runner';
import { countingLookup, flakyTool } from './support/counting-tools';
import { insertDeadClaim } from './support/dead-claim';
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

  test('while one attempt runs, a concurrent one with the same key waits for it (heartbeating) and returns its outcome', async () => {
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
        await new Promise<void>((resolve) => (release = resolve));
        return `done ${text}`;
      },
    });
    const tools = [tool as Tool];
    const key = 'wf-3/step-1/call-a';
    const first = runner(tools).run(call('slow_effect', { text: 'slow' }), context(key));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const heartbeats: unknown[] = [];
    // Another attempt (as after a heartbeat timeout on a live worker): it must not run the effect.
    const second = runner(tools).run(call('slow_effect', { text: 'slow' }), {
      ...context(key),
      heartbeat: (details?: unknown) => heartbeats.push(details),
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    release();
    expect(await first).toMatchObject({ ok: true, output: 'done slow' });
    expect(await second).toMatchObject({ ok: true, output: 'done slow' });
    expect(effects).toEqual(['slow']);
    expect(heartbeats).toContainEqual(expect.objectContaining({ waitingFor: 'an earlier attempt of this call' }));
  });

  test('a live claim that outlasts the wait (the tool timeout and two leases) is an open outcome for the engine to retry later', async () => {
    let release: () => void = () => undefined;
    const stuck = (timeoutMs: number) =>
      defineTool({
        name: 'stuck_effect',
        description: 'A side effect that takes long.',
        input: z.object({ text: z.string() }),
        example: { text: 'hi' },
        policy: { idempotent: false, timeoutMs },
        async execute({ text }) {
          await new Promise<void>((resolve) => (release = resolve));
          return `done ${text}`;
        },
      });
    const key = 'wf-3b/step-1/call-a';
    const first = runner([stuck(30_000) as Tool]).run(call('stuck_effect', { text: 'x' }), context(key));
    await new Promise((resolve) => setTimeout(resolve, 150));
    // This attempt waits max(liveClaimWaitMs, its tool's 200 ms timeout + 2 × 100 ms leases) = 400 ms.
    const impatient = runner([stuck(200) as Tool], { ledger: { liveClaimWaitMs: 300, leaseMs: 100 } });
    const started = Date.now();
    const waited = impatient.run(call('stuck_effect', { text: 'x' }), context(key));
    await expect(waited).rejects.toThrow(OpenOutcomeError);
    await expect(waited).rejects.toThrow(
      /an earlier attempt of this stuck_effect call is still running after \d+ s; retrying later/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    release();
    await first;
  });

  test("a claim's lease is the tool's heartbeat timeout: the engine's next attempt after a crash finds it lapsed, not live for the ledger's 10 s", async () => {
    let release: () => void = () => undefined;
    const slow = defineTool({
      name: 'slow_effect',
      description: 'A side effect that takes a while.',
      input: z.object({ text: z.string() }),
      example: { text: 'hi' },
      policy: { idempotent: false, heartbeatTimeoutMs: 2_000 },
      async execute({ text }) {
        await new Promise<void>((resolve) => (release = resolve));
        return `done ${text}`;
      },
    });
    const key = 'wf-3c/step-1/call-a';
    const running = runner([slow as Tool]).run(call('slow_effect', { text: 'x' }), context(key));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const claim = await ledgerRecord(key, 'slow_effect', { text: 'x' });
    expect(claim?.state).toBe('running');
    const leaseLeftMs = (claim?.leaseExpiresAt.getTime() ?? 0) - Date.now();
    expect(leaseLeftMs).toBeGreaterThan(1_000);
    expect(leaseLeftMs).toBeLessThanOrEqual(2_000);
    release();
    await expect(running).resolves.toMatchObject({ ok: true, output: 'done x' });
  });
});

function ledgerRecord(idempotencyKey: string, tool: string, args: unknown) {
  return database.db
    .collection<ToolEffectRecord>(TOOL_EFFECTS_COLLECTION)
    .findOne({ _id: effectId(idempotencyKey, tool, args) });
}

/**
 * A payment service stand-in that records charges by idempotency key (outside MongoDB), and
 * a tool over it; `options` decide whether the tool can check outcomes or relies on the key.
 */
function paymentTool(name: string, options: { checks?: boolean; acceptsIdempotencyKey?: boolean } = {}) {
  const charges = new Map<string, string>();
  const executions: string[] = [];
  const tool = defineTool({
    name,
    description: 'Charges a card.',
    input: z.object({ cents: z.number().int() }),
    example: { cents: 100 },
    policy: { idempotent: false, acceptsIdempotencyKey: options.acceptsIdempotencyKey },
    async execute({ cents }, toolContext) {
      executions.push(toolContext.idempotencyKey);
      // A service that deduplicates by key charges once however often it is called.
      const receipt = charges.get(toolContext.idempotencyKey) ?? `charged ${cents} cents (receipt ${charges.size + 1})`;
      charges.set(toolContext.idempotencyKey, receipt);
      return receipt;
    },
    ...(options.checks
      ? {
          async checkOutcome(_args: unknown, toolContext: { idempotencyKey: string }) {
            const receipt = charges.get(toolContext.idempotencyKey);
            return receipt === undefined ? { applied: false as const } : { applied: true as const, output: receipt };
          },
        }
      : {}),
  });
  return { tool: tool as Tool, charges, executions };
}

describe('a claim left running by a dead attempt is resolved by looking, not by re-running blindly', () => {
  test('checkOutcome says it applied: its output is returned and recorded, and nothing runs again', async () => {
    const payment = paymentTool('charge_checked', { checks: true });
    const key = 'wf-4/step-1/call-a';
    // The dead attempt charged the card, then died before recording it.
    payment.charges.set(key, 'charged 500 cents (receipt 1)');
    await insertDeadClaim(database.db, key, 'charge_checked', { cents: 500 });

    const result = await runner([payment.tool]).run(call('charge_checked', { cents: 500 }), context(key));
    expect(result).toMatchObject({ ok: true, output: 'charged 500 cents (receipt 1)' });
    expect(payment.executions).toEqual([]);
    expect(await ledgerRecord(key, 'charge_checked', { cents: 500 })).toMatchObject({
      state: 'done',
      resolution: 'checked-applied',
      outcome: { ok: true, output: 'charged 500 cents (receipt 1)' },
    });
    // A later attempt gets the recorded outcome.
    expect(await runner([payment.tool]).run(call('charge_checked', { cents: 500 }), context(key))).toMatchObject({
      output: 'charged 500 cents (receipt 1)',
    });
    expect(payment.executions).toEqual([]);
  });

  test('checkOutcome says it did not apply: the call runs once', async () => {
    const payment = paymentTool('charge_checked_not', { checks: true });
    const key = 'wf-5/step-1/call-a';
    await insertDeadClaim(database.db, key, 'charge_checked_not', { cents: 700 });
    const result = await runner([payment.tool]).run(call('charge_checked_not', { cents: 700 }), context(key));
    expect(result).toMatchObject({ ok: true, output: 'charged 700 cents (receipt 1)' });
    expect(payment.executions).toEqual([key]);
    expect(await ledgerRecord(key, 'charge_checked_not', { cents: 700 })).toMatchObject({
      state: 'done',
      resolution: 'checked-not-applied',
    });
  });

  test('acceptsIdempotencyKey: the call runs again with the same key, and the target deduplicates it', async () => {
    const payment = paymentTool('charge_keyed', { acceptsIdempotencyKey: true });
    const key = 'wf-6/step-1/call-a';
    payment.charges.set(key, 'charged 900 cents (receipt 1)'); // the dead attempt's charge
    await insertDeadClaim(database.db, key, 'charge_keyed', { cents: 900 });
    const result = await runner([payment.tool]).run(call('charge_keyed', { cents: 900 }), context(key));
    expect(result).toMatchObject({ ok: true, output: 'charged 900 cents (receipt 1)' });
    expect(payment.executions).toEqual([key]);
    expect(payment.charges.size).toBe(1);
    expect(await ledgerRecord(key, 'charge_keyed', { cents: 900 })).toMatchObject({
      state: 'done',
      resolution: 're-ran',
    });
  });

  test('neither: the outcome is recorded as unknown, the model is told not to repeat it, and later attempts agree', async () => {
    const payment = paymentTool('charge_blind');
    const key = 'wf-7/step-1/call-a';
    await insertDeadClaim(database.db, key, 'charge_blind', { cents: 300 });
    const result = await runner([payment.tool]).run(call('charge_blind', { cents: 300 }), context(key));
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.OutcomeUnknown' } });
    expect(!result.ok && result.error.message).toMatch(
      /^charge_blind may or may not have taken effect: .*Do not call it again with the same arguments/,
    );
    expect(payment.executions).toEqual([]);
    expect(await ledgerRecord(key, 'charge_blind', { cents: 300 })).toMatchObject({
      state: 'unknown',
      resolution: 'unknown',
      outcome: { ok: false, error: { type: 'Tool.OutcomeUnknown' } },
    });
    expect(await runner([payment.tool]).run(call('charge_blind', { cents: 300 }), context(key))).toMatchObject({
      ok: false,
      error: { type: 'Tool.OutcomeUnknown' },
    });
    expect(payment.executions).toEqual([]);
  });
  test('a further round of a call whose outcome was left open: with the ledger it runs a call nobody claimed; without one it reports unknown and runs nothing', async () => {
    const payment = paymentTool('charge_round');
    const key = 'wf-8/step-1/call-a';
    // No claim in the ledger: no attempt of the earlier round got as far as running it.
    expect(
      await runner([payment.tool]).run(call('charge_round', { cents: 100 }), context(key), {
        resolvingOpenOutcome: true,
      }),
    ).toMatchObject({ ok: true, output: 'charged 100 cents (receipt 1)' });
    expect(payment.executions).toEqual([key]);

    const unrecorded = paymentTool('charge_round_unrecorded');
    const withoutLedger = new ToolRunner({ registry: new ToolRegistry([unrecorded.tool]), warn: () => undefined });
    const result = await withoutLedger.run(
      call('charge_round_unrecorded', { cents: 100 }),
      context('wf-9/step-1/call-a'),
      {
        resolvingOpenOutcome: true,
      },
    );
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.OutcomeUnknown' } });
    expect(unrecorded.executions).toEqual([]);
  });
});

describe('timeouts and heartbeats inside the activity', () => {
  test('the tool’s timeoutMs fires its abort signal; the runner reports a transient timeout', async () => {
    let sawAbort = false;
    const tool = defineTool({
      name: 'waits_for_signal',
      description: 'Waits until told to stop.',
      input: z.object({}),
      example: {},
      policy: { timeoutMs: 200 },
      execute: (_args, toolContext) =>
        new Promise<string>((_resolve, reject) => {
          toolContext.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted'));
          });
        }),
    });
    await expect(runner([tool as Tool]).run(call('waits_for_signal', {}), context())).rejects.toThrow(
      'waits_for_signal did not finish within 200 ms (aborted)',
    );
    expect(sawAbort).toBe(true);
  });

  test('a side effect that overruns its timeout and ignores the signal leaves its outcome open, not released', async () => {
    const effects: string[] = [];
    const tool = defineTool({
      name: 'hangs_after_effect',
      description: 'Writes, then hangs.',
      input: z.object({ text: z.string() }),
      example: { text: 'hi' },
      policy: { idempotent: false, timeoutMs: 200 },
      async execute({ text }) {
        effects.push(text);
        return new Promise<string>(() => undefined); // never settles, ignores its signal
      },
    });
    const key = 'wf-8/step-1/call-a';
    const quick = runner([tool as Tool], { abandonAfterMs: 100 });
    await expect(quick.run(call('hangs_after_effect', { text: 'once' }), context(key))).rejects.toThrow(
      /hangs_after_effect did not finish within 200 ms \(hangs_after_effect did not stop within 100 ms/,
    );
    // The claim was lapsed on purpose: the next attempt resolves it at once instead of running again.
    const record = await ledgerRecord(key, 'hangs_after_effect', { text: 'once' });
    expect(record?.state).toBe('running');
    expect(record?.leaseExpiresAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await quick.run(call('hangs_after_effect', { text: 'once' }), context(key))).toMatchObject({
      ok: false,
      error: { type: 'Tool.OutcomeUnknown' },
    });
    expect(effects).toEqual(['once']);
  });

  test('a side effect whose attempt the engine gave up on finishes and records its outcome; an explicit cancel stops it', async () => {
    const effects: string[] = [];
    const tool = defineTool({
      name: 'honours_signal',
      description: 'Writes, then confirms after a while; stops when told to.',
      input: z.object({ text: z.string() }),
      example: { text: 'hi' },
      policy: { idempotent: false },
      async execute({ text }, toolContext) {
        effects.push(text);
        started();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 400);
          toolContext.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('stopped'));
          });
        });
        return `confirmed ${text}`;
      },
    });
    const attempt = (key: string, engine: AbortController) =>
      runner([tool as Tool]).run(
        call('honours_signal', { text: key }),
        { ...context(key), signal: engine.signal },
        { cancelRequested: explicitCancellation(engine.signal) },
      );

    // The server timed the attempt out (as after a missed heartbeat): the effect goes on to completion.
    let started: () => void = () => undefined;
    const startedOnce = () => new Promise<void>((resolve) => (started = resolve));
    const superseded = new AbortController();
    let running = startedOnce();
    const first = attempt('wf-9/step-1/call-a', superseded);
    await running;
    superseded.abort(new CancelledFailure('TIMED_OUT'));
    const retry = attempt('wf-9/step-1/call-a', new AbortController());
    expect(await first).toMatchObject({ ok: true, output: 'confirmed wf-9/step-1/call-a' });
    expect(await retry).toMatchObject({ ok: true, output: 'confirmed wf-9/step-1/call-a' });
    expect(effects).toEqual(['wf-9/step-1/call-a']);

    // The workflow cancelled the call: the tool is told to stop, and its outcome is left open.
    const cancelled = new AbortController();
    running = startedOnce();
    const stopped = attempt('wf-9/step-2/call-b', cancelled);
    await running;
    cancelled.abort(new CancelledFailure('CANCELLED'));
    await expect(stopped).rejects.toThrow('stopped');
    const record = await ledgerRecord('wf-9/step-2/call-b', 'honours_signal', { text: 'wf-9/step-2/call-b' });
    expect(record?.state).toBe('running');
    expect(record?.leaseExpiresAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test('every call heartbeats on a timer, also tools that declare no heartbeat timeout', async () => {
    const lookup = countingLookup({
      name: 'lookup_heartbeats',
      delayMs: 2_500,
      policy: { cacheTtlSeconds: undefined },
    });
    const beats: unknown[] = [];
    await runner([lookup.tool]).run(call('lookup_heartbeats', { q: 'x' }), {
      ...context(),
      heartbeat: (details?: unknown) => beats.push(details),
    });
    // Default heartbeat timeout 5 s: a beat every 1.67 s.
    expect(beats.length).toBeGreaterThanOrEqual(1);
  });
});

describe('MongoDB unreachable', () => {
  test('the ledger waits for it up to the outage budget, heartbeating, then throws Infra.Unavailable without running the tool', async () => {
    const unreachable = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 200 });
    const warnings: string[] = [];
    const payment = paymentTool('charge_unreachable');
    const beats: unknown[] = [];
    const outage = new ToolRunner({
      registry: new ToolRegistry([payment.tool]),
      db: unreachable.db('nowhere'),
      outageBudgetMs: 1_500,
      warn: (message) => warnings.push(message),
    });
    try {
      const failure = await outage
        .run(call('charge_unreachable', { cents: 1 }), { ...context(), heartbeat: (details) => beats.push(details) })
        .then(
          () => undefined,
          (error: Error) => error,
        );
      expect(failure?.name).toBe('InfrastructureUnavailableError');
      expect(failure?.message).toMatch(
        /^MongoDB was unavailable for \d+(\.\d)? s while preparing the ledger of charge_unreachable: /,
      );
      expect((failure as InfrastructureUnavailableError).waitedMs).toBeGreaterThan(0);
    } finally {
      await unreachable.close();
    }
    expect(payment.executions).toEqual([]);
    expect(warnings.join('\n')).toMatch(
      /MongoDB is unavailable while preparing the ledger of charge_unreachable .*waiting for it up to \d+ s/,
    );
    expect(beats).toContainEqual(expect.objectContaining({ waitingFor: 'infrastructure' }));
  });
});
