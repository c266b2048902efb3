import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ClaimCheckStore, PAYLOADS_COLLECTION } from '../../src/codec/claim-check-store';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import type { ModelCallResult } from '../../src/contracts/activities';
import { RETENTION_COLLECTIONS, type RetentionCollection } from '../../src/contracts/retention';
import {
  TASK_EVENT_SOURCES_COLLECTION,
  TASK_EVENT_STREAMS_COLLECTION,
  TASK_EVENTS_COLLECTION,
  TaskEventLog,
} from '../../src/events/task-event-log';
import { sweepRetention } from '../../src/lifecycle/retention-sweep';
import { TemporalWorkflowLiveness } from '../../src/lifecycle/workflow-liveness';
import { EpisodesStore } from '../../src/memory/episodes-store';
import { PromptCache } from '../../src/models/prompt-cache';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { TOOL_EFFECTS_COLLECTION } from '../../src/tools/effect-ledger';
import { TOOL_OUTPUTS_COLLECTION, ToolOutputStore } from '../../src/tools/output-store';
import { ToolResultCache } from '../../src/tools/result-cache';

// The retention sweep on the real stack: documents in a test database of the local
// MongoDB-wire server (FerretDB), workflows on the shared Temporal dev server. A workflow
// started on a task queue no worker polls stays "Running"; a terminated one is closed but
// keeps its history; a workflow id never started has neither.

const DAY = 86_400_000;
const NOW = new Date();
const OLD = new Date(NOW.getTime() - 40 * DAY);
const FRESH = new Date(NOW.getTime() - 1 * DAY);
const CUTOFF = new Date(NOW.getTime() - 30 * DAY);

let database: TestDatabase;
let connection: Connection;
let client: Client;
const suffix = randomUUID().slice(0, 8);
/** Running: its documents stay. An id with a quote cannot go in a visibility query, so it is described. */
const RUNNING = `retention-running-${suffix}`;
const RUNNING_QUOTED = `retention-"quoted"-${suffix}`;
/** Closed (terminated), its history kept by the server: its payloads stay, its other documents go. */
const CLOSED = `retention-closed-${suffix}`;
/** Never started: nothing keeps its documents. */
const GONE = `retention-gone-${suffix}`;

async function startIdle(workflowId: string): Promise<void> {
  await client.workflow.start('retentionSweepWorkflow', {
    workflowId,
    taskQueue: `retention-idle-${suffix}`,
    args: [{}],
    workflowExecutionTimeout: '10 minutes',
  });
}

beforeAll(async () => {
  database = await openTestDatabase('retention');
  const config = loadConfig();
  connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  client = new Client({ connection, namespace: config.temporal.namespace });
  await Promise.all([startIdle(RUNNING), startIdle(RUNNING_QUOTED), startIdle(CLOSED)]);
  await client.workflow.getHandle(CLOSED).terminate('closed for the retention test');
  // Visibility is eventually consistent: wait until the list query sees all three as the sweep will.
  const liveness = new TemporalWorkflowLiveness(client);
  for (let attempt = 0; ; attempt++) {
    const [running, withHistory] = await Promise.all([
      liveness.running([RUNNING, CLOSED, GONE]),
      liveness.withHistory([RUNNING, CLOSED, GONE]),
    ]);
    if (running.size === 1 && running.has(RUNNING) && withHistory.size === 2) break;
    if (attempt > 50) throw new Error('visibility never listed the test workflows');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

afterAll(async () => {
  for (const workflowId of [RUNNING, RUNNING_QUOTED]) {
    await client?.workflow
      .getHandle(workflowId)
      .terminate('retention test done')
      .catch(() => undefined);
  }
  await connection?.close();
  await database?.drop();
});

/** Sets the timestamps of a document directly, as if it had been written at `when`. */
async function age(collection: string, id: string, fields: Record<string, Date | string>): Promise<void> {
  const { matchedCount } = await database.db
    .collection<{ _id: string }>(collection)
    .updateOne({ _id: id }, { $set: fields });
  expect(matchedCount).toBe(1);
}

async function remainingIds(collection: string): Promise<string[]> {
  const documents = await database.db
    .collection<{ _id: string }>(collection)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  return documents.map((document) => document._id).sort();
}

/** Fills every swept collection with old and fresh documents; returns the ids that must survive, by collection. */
async function fill(): Promise<Record<RetentionCollection, string[]>> {
  const db = database.db;
  const blob = (text: string) => ({ data: new TextEncoder().encode(text), bytes: text.length });

  // Claim-checked payloads: kept while a history (of the owner or an ancestor) exists.
  const payloads = new ClaimCheckStore(db);
  await payloads.put('sha256:old-gone', blob('a'), GONE);
  await payloads.put('sha256:old-closed', blob('b'), CLOSED);
  await payloads.put('sha256:old-child-of-running', blob('c'), `${RUNNING}/subtask-1`);
  await payloads.put('sha256:old-unowned', blob('d'));
  await payloads.put('sha256:fresh-gone', blob('e'), GONE);
  for (const id of ['sha256:old-gone', 'sha256:old-closed', 'sha256:old-child-of-running', 'sha256:old-unowned']) {
    await age(PAYLOADS_COLLECTION, id, { createdAt: OLD, lastUsedAt: OLD });
  }
  await age(PAYLOADS_COLLECTION, 'sha256:fresh-gone', { createdAt: OLD, lastUsedAt: FRESH });

  // Stored tool outputs: kept while a running workflow (or a cached result still served) points at them.
  const outputs = new ToolOutputStore(db);
  const outputId = async (content: string, owner: string) =>
    (await outputs.put(content, 'http_fetch', owner)).replace('tool-output:', '');
  const outputOldGone = await outputId('old output of a finished task', GONE);
  const outputOldClosed = await outputId('old output of a closed task', CLOSED);
  const outputOldRunning = await outputId('old output of a running task', RUNNING);
  const outputOldQuoted = await outputId('old output of a running task with a quoted id', RUNNING_QUOTED);
  const outputOldCached = await outputId('old output a cached result points at', GONE);
  const outputFresh = await outputId('fresh output', GONE);
  for (const id of [outputOldGone, outputOldClosed, outputOldRunning, outputOldQuoted, outputOldCached]) {
    await age(TOOL_OUTPUTS_COLLECTION, id, { createdAt: OLD, lastUsedAt: OLD });
  }

  // Cached tool results: by their own expiry and by age.
  const cacheAt = (when: Date) =>
    new ToolResultCache(db, { now: () => when, purgeIntervalMs: Number.MAX_SAFE_INTEGER });
  const cached = (key: string, ttlSeconds: number, outputRef?: string) => ({
    key,
    tool: 'http_fetch',
    version: '1',
    output: `output of ${key}`,
    executionMs: 5,
    ttlSeconds,
    ...(outputRef === undefined ? {} : { outputRef }),
  });
  await cacheAt(OLD).put(cached('cache-old', 100 * 86_400));
  await cacheAt(FRESH).put(cached('cache-expired', 60));
  await cacheAt(FRESH).put(cached('cache-fresh', 7 * 86_400, `tool-output:${outputOldCached}`));

  // Cached model answers: by age.
  const answer: ModelCallResult = {
    model: 'm',
    content: 'hi',
    toolCalls: [],
    finishReason: 'stop',
    usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
    costUsd: 0,
    latencyMs: 1,
  };
  await new PromptCache(db, { now: () => OLD }).put('prompt-old', answer);
  await new PromptCache(db, { now: () => FRESH }).put('prompt-fresh', answer);

  // Effect-ledger entries: kept while their workflow runs, and while a claim is live.
  const ledger = db.collection(TOOL_EFFECTS_COLLECTION);
  const entry = (id: string, workflowId: string, state: string, when: Date, leaseExpiresAt = when) => ({
    _id: id,
    idempotencyKey: `${workflowId}/step-1/call_${id}`,
    tool: 'send_email',
    state,
    owner: 'attempt-1',
    leaseExpiresAt,
    createdAt: when,
    updatedAt: when,
    expiresAt: new Date(when.getTime() + 30 * DAY),
    ...(state === 'running' ? {} : { outcome: { ok: true, output: 'sent' }, resolution: 'ran' }),
  });
  await ledger.insertMany([
    entry('effect-old-gone', GONE, 'done', OLD),
    entry('effect-old-running-workflow', `${RUNNING}/subtask-2`, 'done', OLD),
    entry('effect-old-lapsed-claim', GONE, 'running', OLD),
    entry('effect-old-live-claim', GONE, 'running', OLD, new Date(NOW.getTime() + 3_600_000)),
    entry('effect-fresh', GONE, 'done', FRESH),
  ] as never[]);

  // Task events and the announcements of their writers.
  const logAt = (when: Date) =>
    new TaskEventLog(db, { now: () => when, retentionMs: 60 * DAY, sweepIntervalMs: Number.MAX_SAFE_INTEGER });
  const token = { type: 'token', callId: 'run/1', attempt: 1, text: 'x' } as const;
  const oldLog = logAt(OLD);
  const freshLog = logAt(FRESH);
  await oldLog.append(GONE, [token, token]);
  await oldLog.append(`${RUNNING}/subtask-1`, [token]);
  await freshLog.append(`${GONE}/later`, [token]);
  // Their stream heads are written off the appends' path.
  await Promise.all([oldLog.settled(), freshLog.settled()]);
  const sources = db.collection(TASK_EVENT_SOURCES_COLLECTION);
  await sources.insertMany([
    { _id: `${GONE}/expired`, streamId: GONE, expiresAt: OLD },
    { _id: `${RUNNING}/expired`, streamId: RUNNING, expiresAt: OLD },
    { _id: `${GONE}/live`, streamId: GONE, expiresAt: new Date(NOW.getTime() + DAY) },
  ] as never[]);
  // Stream heads: by their expiry (their last event's), kept while the stream's task runs.
  const heads = db.collection<{ _id: string }>(TASK_EVENT_STREAMS_COLLECTION);
  await heads.insertOne({ _id: `${GONE}-expired`, last: 4, expiresAt: OLD } as { _id: string });
  await heads.updateOne({ _id: RUNNING }, { $set: { expiresAt: OLD } });

  // Episodes: by recorded time, kept while the workflow that recorded them runs.
  const episodesAt = (when: Date) => new EpisodesStore(db, { now: () => when });
  const episode = (id: string, workflowId?: string) => ({
    id,
    sessionId: 'retention-session',
    ...(workflowId === undefined ? {} : { workflowId }),
    kind: 'turn' as const,
    role: 'user' as const,
    content: `episode ${id}`,
  });
  await episodesAt(OLD).record(episode('episode-old-gone', GONE));
  await episodesAt(OLD).record(episode('episode-old-running', `${RUNNING}/turn-1`));
  await episodesAt(OLD).record(episode('episode-old-no-workflow'));
  await episodesAt(FRESH).record(episode('episode-fresh', GONE));

  const keptEvents = await db
    .collection<{ _id: string }>(TASK_EVENTS_COLLECTION)
    .find({ workflowId: { $in: [`${GONE}/later`, `${RUNNING}/subtask-1`] } })
    .toArray();
  return {
    payloads: ['sha256:fresh-gone', 'sha256:old-child-of-running', 'sha256:old-closed'].sort(),
    // Without encryption a cache's stored id is the key itself.
    tool_cache: ['cache-fresh'],
    tool_outputs: [outputOldRunning, outputOldQuoted, outputOldCached, outputFresh].sort(),
    model_prompt_cache: ['prompt-fresh'],
    tool_effects: ['effect-fresh', 'effect-old-live-claim', 'effect-old-running-workflow'].sort(),
    task_events: keptEvents.map((event) => event._id).sort(),
    task_event_sources: [`${GONE}/live`, `${RUNNING}/expired`].sort(),
    task_event_streams: ['chassis:heads-complete', GONE, RUNNING].sort(),
    memory_episodes: ['episode-fresh', 'episode-old-running'].sort(),
  };
}

describe('retention sweep', () => {
  test('fills, ages and sweeps: exactly the old documents nothing needs go; a dry run counts the same and deletes nothing; a second sweep finds nothing', async () => {
    const survivors = await fill();
    const before = Object.fromEntries(
      await Promise.all(RETENTION_COLLECTIONS.map(async (name) => [name, await remainingIds(name)] as const)),
    ) as Record<RetentionCollection, string[]>;
    const liveness = new TemporalWorkflowLiveness(client, { batchSize: 2 });
    const options = { cutoff: CUTOFF, now: NOW, batchSize: 2 };

    const dryRun = await sweepRetention(database.db, liveness, { ...options, dryRun: true });
    for (const name of RETENTION_COLLECTIONS) expect(await remainingIds(name)).toEqual(before[name]);

    const swept = await sweepRetention(database.db, liveness, options);
    expect(swept.dryRun).toBe(false);
    expect(swept.cutoff).toBe(CUTOFF.toISOString());
    for (const name of RETENTION_COLLECTIONS) {
      expect({ name, remaining: await remainingIds(name) }).toEqual({ name, remaining: survivors[name] });
      expect({ name, deleted: swept.collections[name].deleted }).toEqual({
        name,
        deleted: before[name].length - survivors[name].length,
      });
    }
    expect(swept.collections).toEqual({
      payloads: { deleted: 2, keptInUse: 2 },
      tool_cache: { deleted: 2, keptInUse: 0 },
      tool_outputs: { deleted: 2, keptInUse: 3 },
      model_prompt_cache: { deleted: 1, keptInUse: 0 },
      tool_effects: { deleted: 2, keptInUse: 2 },
      task_events: { deleted: 2, keptInUse: 1 },
      task_event_sources: { deleted: 1, keptInUse: 1 },
      task_event_streams: { deleted: 1, keptInUse: 1 },
      memory_episodes: { deleted: 2, keptInUse: 1 },
    });
    expect(dryRun).toEqual({ ...swept, dryRun: true });

    const again = await sweepRetention(database.db, liveness, options);
    for (const name of RETENTION_COLLECTIONS) expect(again.collections[name].deleted).toBe(0);
    expect(again.collections.tool_outputs.keptInUse).toBe(3);
  });
});
