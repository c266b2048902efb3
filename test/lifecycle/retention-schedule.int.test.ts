import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import type { ModelCallResult } from '../../src/contracts/activities';
import type { RetentionSweepResult } from '../../src/contracts/retention';
import { ensureRetentionSchedule, retentionScheduleId } from '../../src/lifecycle/retention-schedule';
import { PROMPT_CACHE_COLLECTION, PromptCache } from '../../src/models/prompt-cache';
import { ToolRegistry } from '../../src/tools/registry';
import { ensureRetentionScheduleOnceReady } from '../../src/workers/retention-schedule-at-start';
import { useScriptedStack } from '../support/scripted-stack';
import { triggerScheduleRun } from '../../src/testing/schedule-runs';

// The retention schedule on the real Temporal dev server: what the worker does at start-up,
// and a scheduled run sweeping a real database through a real worker.

const DAY = 86_400_000;
const scripted = useScriptedStack({ database: 'retention_schedule', stack: false });
let connection: Connection;
let client: Client;
const schedules: string[] = [];

beforeAll(async () => {
  const config = loadConfig();
  connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  client = new Client({ connection, namespace: config.temporal.namespace });
});

afterAll(async () => {
  for (const scheduleId of schedules) {
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
  }
  await connection?.close();
});

describe('retention schedule', () => {
  test('the worker start-up creates it once: a second worker finds it and says nothing; "off" creates none', async () => {
    const taskQueue = `retention-schedule-${randomUUID()}`;
    const scheduleId = retentionScheduleId(taskQueue);
    schedules.push(scheduleId);
    const lines: string[] = [];
    const start = () =>
      ensureRetentionScheduleOnceReady({
        ready: Promise.resolve(),
        client: () => client,
        taskQueue,
        every: 'daily',
        log: (line) => lines.push(line),
      });

    await start();
    expect(lines).toEqual([`retention: created the schedule ${scheduleId} (a sweep daily; "chassis gc" sweeps now)`]);
    await start();
    expect(lines).toHaveLength(1);
    expect(await ensureRetentionSchedule(client, { taskQueue, every: 'daily' })).toEqual({
      scheduleId,
      created: false,
    });

    const description = await client.schedule.getHandle(scheduleId).describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'retentionSweepWorkflow',
      taskQueue,
      args: [{}],
    });
    expect(description.spec.intervals?.map((interval) => interval.every)).toEqual([DAY]);
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.state.paused).toBe(false);

    const otherQueue = `retention-schedule-off-${randomUUID()}`;
    schedules.push(retentionScheduleId(otherQueue));
    await ensureRetentionScheduleOnceReady({
      ready: Promise.resolve(),
      client: () => client,
      taskQueue: otherQueue,
      every: 'off',
      log: (line) => lines.push(line),
    });
    await expect(client.schedule.getHandle(retentionScheduleId(otherQueue)).describe()).rejects.toBeInstanceOf(
      ScheduleNotFoundError,
    );
    expect(lines).toHaveLength(1);
  });

  test('a failure to create it is one warning line, not a crash of the worker', async () => {
    const lines: string[] = [];
    const closed = await Connection.connect(clientConnectionOptions(loadConfig().temporal.connection));
    await closed.close();
    await ensureRetentionScheduleOnceReady({
      ready: Promise.resolve(),
      client: () => new Client({ connection: closed }),
      taskQueue: `retention-schedule-closed-${randomUUID()}`,
      every: 'hourly',
      log: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^warning: the retention schedule chassis-retention-sweep-\S+ could not be created \(.+\): /,
    );
    expect(lines[0]).toContain('run "chassis gc" by hand');
  });

  test('a scheduled run sweeps the worker database through the retentionSweepWorkflow', async () => {
    const { db } = scripted.database;
    const answer: ModelCallResult = {
      model: 'm',
      content: 'cached',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
      costUsd: 0,
      latencyMs: 1,
    };
    await new PromptCache(db, { now: () => new Date(Date.now() - 45 * DAY) }).put('prompt-old', answer);
    await new PromptCache(db, { now: () => new Date(Date.now() - 2 * DAY) }).put('prompt-recent', answer);
    // The sweep calls no model and no tool; the workers have the scripted ones all the same.
    const stack = await scripted.startStack({
      taskQueuePrefix: 'retention',
      dependencies: { tools: new ToolRegistry([]), db, retentionMs: 30 * DAY },
    });
    const { scheduleId } = await ensureRetentionSchedule(stack.client, {
      taskQueue: stack.taskQueue,
      every: 'daily',
    });
    schedules.push(scheduleId);
    const handle = stack.client.schedule.getHandle(scheduleId);
    const workflowId = await triggerScheduleRun(handle);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as RetentionSweepResult;
    expect(result.dryRun).toBe(false);
    expect(result.collections.model_prompt_cache).toEqual({ deleted: 1, keptInUse: 0 });
    const remaining = await db.collection<{ _id: string }>(PROMPT_CACHE_COLLECTION).find({}).toArray();
    expect(remaining.map((entry) => entry._id)).toEqual(['prompt-recent']);
    // The worker's retention (30 days) before the run.
    const cutoffAgeMs = Date.now() - new Date(result.cutoff).getTime();
    expect(cutoffAgeMs).toBeGreaterThanOrEqual(30 * DAY);
    expect(cutoffAgeMs).toBeLessThan(31 * DAY);
  });
});
