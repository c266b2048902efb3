import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTask, waitForPollers } from '../../src/client/task-client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import { chaosGoal, chaosModelScript, type ChaosTask } from '../../src/testing/chaos/chaos-script';
import { effectServerConfig } from '../../src/testing/chaos/effect-server-config';
import { readCallsFile, readEffectsFile } from '../../src/testing/chaos/effects-file';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

jest.setTimeout(300_000);

async function waitFor(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A real `chassis worker` gets SIGTERM (what `docker stop` and Kubernetes send) while a slow
 * tool call runs: it stops polling, lets the call finish within CHASSIS_SHUTDOWN_GRACE_MS,
 * reports its result, and exits 0. A second worker finishes the task without running the
 * tool again.
 */
describe('graceful shutdown on SIGTERM', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-shutdown-'));
  const effectsFile = path.join(folder, 'effects.jsonl');
  const callsFile = path.join(folder, 'calls.jsonl');
  const taskQueue = `test-shutdown-${path.basename(folder)}`;
  const task: ChaosTask = { scenario: 'shutdown', label: `drain-${path.basename(folder)}` };
  let model: ScriptedModelServer;
  let database: TestDatabase;
  let connection: Connection;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    model = await startQuietScriptedModel(chaosModelScript({ tasks: [task] }));
    database = await openTestDatabase('shutdown');
    connection = await Connection.connect(clientConnectionOptions(loadConfig().temporal.connection));
  });

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await connection?.close();
    await model?.close();
    await database?.drop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  function startWorkerProcess(): WorkerProcess {
    const entry = effectServerConfig({ effectsFile, callsFile, effectDelayMs: 4_000 });
    const worker = spawnWorkerProcess({
      CHASSIS_TASK_QUEUE: taskQueue,
      MONGODB_DB: database.db.databaseName,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: model.baseURL,
      CHASSIS_EMBEDDING_DIMENSIONS: '64',
      CHASSIS_MCP_SERVERS: JSON.stringify([entry]),
      CHASSIS_SHUTDOWN_GRACE_MS: '30000',
    });
    workers.push(worker);
    return worker;
  }

  test('a tool call in flight finishes, then the process exits 0; the task completes elsewhere without a second effect', async () => {
    const client = new Client({ connection });
    const first = startWorkerProcess();
    await first.waitForLine(/^worker polling task queue/, { timeoutMs: 180_000 });
    expect(await waitForPollers(client, taskQueue, 60_000)).toBe(true);
    const handle = await startTask(client, { goal: chaosGoal(task), planning: 'direct' }, { taskQueue });

    // The effect server journals each call when it starts; the effect itself takes 4 s.
    await waitFor(() => fs.existsSync(callsFile) && readCallsFile(callsFile).length > 0, 'the tool call to start');
    expect(readEffectsFile(effectsFile)).toHaveLength(0);
    first.child.kill('SIGTERM');
    await first.waitForLine(/^stopping worker: finishing in-flight tasks/);
    const code = await first.exited;
    expect(code).toBe(0);
    // The call finished before the process ended: one effect, recorded by the first worker.
    const effects = readEffectsFile(effectsFile);
    expect(effects).toHaveLength(1);
    expect(effects[0]?.workerPid).toBe(first.child.pid);

    const second = startWorkerProcess();
    await second.waitForLine(/^worker polling task queue/, { timeoutMs: 180_000 });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.answer).toContain(task.label);
    expect(readEffectsFile(effectsFile)).toHaveLength(1);

    // The drained call completed on its first attempt: no retry reached the second worker.
    const history = await handle.fetchHistory();
    const toolAttempts = (history.events ?? [])
      .filter(
        (event) =>
          event.activityTaskStartedEventAttributes !== undefined && event.activityTaskStartedEventAttributes !== null,
      )
      .map((event) => event.activityTaskStartedEventAttributes?.attempt);
    expect(toolAttempts.every((attempt) => attempt === 1)).toBe(true);
    const completedTools = (history.events ?? []).filter((event) => {
      const scheduled = event.activityTaskCompletedEventAttributes?.scheduledEventId;
      if (scheduled === undefined || scheduled === null) return false;
      const scheduling = history.events?.find((candidate) => Number(candidate.eventId) === Number(scheduled));
      return scheduling?.activityTaskScheduledEventAttributes?.activityType?.name === 'callTool';
    });
    expect(completedTools).toHaveLength(1);
  });
});
