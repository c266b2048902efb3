import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import type { RetentionSweepResult } from '../../src/contracts/retention';
import { retentionScheduleId } from '../../src/lifecycle/retention-schedule';
import { PROMPT_CACHE_COLLECTION } from '../../src/models/prompt-cache';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';
import { triggerScheduleRun } from '../../src/testing/schedule-runs';

// A real `chassis worker` process on the shared dev server: after start-up its queue has a
// retention schedule, and a run of it is swept by that worker.

let connection: Connection;
let client: Client;
let database: TestDatabase;
let worker: WorkerProcess | undefined;
const taskQueue = `test-retention-worker-${randomUUID()}`;
const scheduleId = retentionScheduleId(taskQueue);

beforeAll(async () => {
  const config = loadConfig();
  connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  client = new Client({ connection, namespace: config.temporal.namespace });
  database = await openTestDatabase('retention_worker');
});

afterAll(async () => {
  await worker?.stop();
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await connection?.close();
  await database?.drop();
});

test('a worker creates its queue’s retention schedule at start-up, says so, and runs the sweep it starts', async () => {
  const prompts = database.db.collection<{ _id: string; createdAt: Date }>(PROMPT_CACHE_COLLECTION);
  await prompts.insertMany([
    { _id: 'answer-50-days-old', createdAt: new Date(Date.now() - 50 * 86_400_000) },
    { _id: 'answer-40-days-old', createdAt: new Date(Date.now() - 40 * 86_400_000) },
  ]);
  worker = spawnWorkerProcess({
    CHASSIS_TASK_QUEUE: taskQueue,
    MONGODB_DB: database.db.databaseName,
    OPENAI_API_KEY: '',
    OPENAI_BASE_URL: '',
    // The test suite turns schedules off for every other worker.
    CHASSIS_RETENTION_SCHEDULE: 'daily',
    CHASSIS_RETENTION_DAYS: '45',
  });
  await worker.waitForLine(new RegExp(`retention 45 days, swept daily by schedule ${scheduleId}$`), {
    timeoutMs: 180_000,
  });
  await worker.waitForLine(new RegExp(`^retention: created the schedule ${scheduleId} `), { timeoutMs: 180_000 });

  const handle = client.schedule.getHandle(scheduleId);
  const description = await handle.describe();
  expect(description.action).toMatchObject({ workflowType: 'retentionSweepWorkflow', taskQueue });

  const workflowId = await triggerScheduleRun(handle);
  const result = (await client.workflow.getHandle(workflowId).result()) as RetentionSweepResult;
  expect(result.dryRun).toBe(false);
  // The worker's own retention (45 days), counted back from the run.
  const cutoffAgeDays = (Date.now() - new Date(result.cutoff).getTime()) / 86_400_000;
  expect(cutoffAgeDays).toBeGreaterThanOrEqual(45);
  expect(cutoffAgeDays).toBeLessThan(46);
  expect(result.collections.model_prompt_cache).toEqual({ deleted: 1, keptInUse: 0 });
  expect(await prompts.find({}).toArray()).toEqual([expect.objectContaining({ _id: 'answer-40-days-old' })]);
});
