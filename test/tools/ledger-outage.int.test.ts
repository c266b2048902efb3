import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { MongoClient, type Db } from 'mongodb';
import { z } from 'zod';
import { startPrivateMongo, type PrivateServer } from '../../src/testing/private-servers';
import { TOOL_EFFECTS_COLLECTION, effectId, type ToolEffectRecord } from '../../src/tools/effect-ledger';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool, type Tool } from '../../src/tools/tool';
import { bundleToolCallsWorkflow, startToolWorker, type ToolWorker } from './fixtures/tool-worker';

// The real Temporal dev server (shared) and a private FerretDB that these tests stop and
// start; the shared database is never touched. Effects are recorded in a file, outside MongoDB.
let mongo: PrivateServer;
let client: MongoClient;
let db: Db;
let bundle: WorkflowBundleWithSourceMap;
let worker: ToolWorker | undefined;
let folder: string;

beforeAll(async () => {
  [mongo, bundle] = await Promise.all([startPrivateMongo(), bundleToolCallsWorkflow()]);
  // Connected while the server is up; a short server selection so each try during an outage is quick.
  client = await MongoClient.connect(mongo.address, { serverSelectionTimeoutMS: 1_000 });
  db = client.db('ledger_outage');
  folder = mkdtempSync(path.join(os.tmpdir(), 'chassis-ledger-outage-'));
}, 120_000);

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  if (mongo.pid() === undefined) await mongo.start();
});

afterAll(async () => {
  await client?.close();
  await mongo?.dispose();
  rmSync(folder, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A journal append (a side effect outside MongoDB); `afterEffect` runs right after the write. */
function journalTool(file: string, afterEffect: () => Promise<void> = async () => undefined) {
  const executions: string[] = [];
  const tool = defineTool({
    name: 'journal_append',
    description: 'Appends a line to the journal.',
    input: z.object({ line: z.string() }),
    example: { line: 'hello' },
    policy: { idempotent: false },
    async execute({ line }) {
      executions.push(line);
      appendFileSync(file, `${line}\n`);
      await afterEffect();
      return `appended "${line}"`;
    },
  });
  return { tool: tool as Tool, executions };
}

function record(key: string, line: string) {
  return db
    .collection<ToolEffectRecord>(TOOL_EFFECTS_COLLECTION)
    .findOne({ _id: effectId(key, 'journal_append', { line }) });
}

async function attemptsOf(workflowId: string): Promise<number[]> {
  const history = await (worker as ToolWorker).client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) =>
    event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt ?? 0] : [],
  );
}

describe('the effect ledger across a MongoDB outage (real Temporal activity, private FerretDB)', () => {
  test('MongoDB stops right after the effect and is back 3 s later: the effect happened once, is recorded done, and the activity returns it', async () => {
    const file = path.join(folder, 'stop-after-effect.txt');
    let restarted: Promise<void> | undefined;
    const journal = journalTool(file, async () => {
      await mongo.stop();
      restarted = sleep(3_000).then(() => mongo.start());
    });
    worker = await startToolWorker({
      bundle,
      dependencies: { tools: new ToolRegistry([journal.tool]), db, outageBudgetMs: 60_000 },
    });
    const key = `outage-${randomUUID()}/step-1/call-1`;
    const { workflowId, results } = await worker.run({
      calls: [{ call: { id: 'call-1', name: 'journal_append', arguments: '{"line":"entry 1"}' }, idempotencyKey: key }],
      startToCloseTimeoutMs: 120_000,
      heartbeatTimeoutMs: 5_000,
      maximumAttempts: 3,
      initialRetryIntervalMs: 200,
    });
    await restarted;
    expect(results).toEqual([{ callId: 'call-1', name: 'journal_append', ok: true, output: 'appended "entry 1"' }]);
    expect(journal.executions).toEqual(['entry 1']);
    expect(readFileSync(file, 'utf8')).toBe('entry 1\n');
    expect(await record(key, 'entry 1')).toMatchObject({
      state: 'done',
      resolution: 'ran',
      outcome: { ok: true, output: 'appended "entry 1"' },
    });
    // The first attempt waited for MongoDB and completed: no failed attempt, no retry.
    expect(await attemptsOf(workflowId)).toEqual([1]);
  }, 120_000);

  test('a call started while MongoDB is down waits inside the activity and completes once it is back', async () => {
    const file = path.join(folder, 'start-while-down.txt');
    const journal = journalTool(file);
    worker = await startToolWorker({
      bundle,
      dependencies: { tools: new ToolRegistry([journal.tool]), db, outageBudgetMs: 30_000 },
    });
    await mongo.stop();
    const restarted = sleep(3_000).then(() => mongo.start());
    const key = `down-${randomUUID()}/step-1/call-1`;
    const { workflowId, results } = await worker.run({
      calls: [{ call: { id: 'call-1', name: 'journal_append', arguments: '{"line":"entry 2"}' }, idempotencyKey: key }],
      startToCloseTimeoutMs: 90_000,
      heartbeatTimeoutMs: 5_000,
      maximumAttempts: 3,
      initialRetryIntervalMs: 200,
    });
    await restarted;
    expect(results).toEqual([{ callId: 'call-1', name: 'journal_append', ok: true, output: 'appended "entry 2"' }]);
    expect(readFileSync(file, 'utf8')).toBe('entry 2\n');
    expect(await record(key, 'entry 2')).toMatchObject({ state: 'done', outcome: { output: 'appended "entry 2"' } });
    expect(await attemptsOf(workflowId)).toEqual([1]);
  }, 120_000);

  test('MongoDB down for longer than the budget: the activity fails with a retryable Infra.Unavailable and the tool never runs', async () => {
    const file = path.join(folder, 'never.txt');
    const journal = journalTool(file);
    worker = await startToolWorker({
      bundle,
      dependencies: { tools: new ToolRegistry([journal.tool]), db, outageBudgetMs: 1_500 },
    });
    await mongo.stop();
    const failure = await worker
      .run({
        calls: [
          {
            call: { id: 'call-1', name: 'journal_append', arguments: '{"line":"entry 3"}' },
            idempotencyKey: `long-${randomUUID()}/call-1`,
          },
        ],
        startToCloseTimeoutMs: 30_000,
        heartbeatTimeoutMs: 5_000,
        maximumAttempts: 2,
        initialRetryIntervalMs: 100,
      })
      .then(
        () => undefined,
        (error: Error) => error,
      );
    // WorkflowFailedError → ActivityFailure → ApplicationFailure (asserted by name and type: jest isolates modules).
    const activityFailure = failure?.cause as (Error & { cause?: Error & { type?: string } }) | undefined;
    expect(activityFailure?.name).toBe('ActivityFailure');
    expect(activityFailure?.cause?.type).toBe('Infra.Unavailable');
    expect(activityFailure?.cause?.message).toMatch(
      /^tool journal_append \(attempt 2\): MongoDB was unavailable for \d+(\.\d)? s while preparing the ledger of journal_append/,
    );
    expect(journal.executions).toEqual([]);
  }, 120_000);
});
