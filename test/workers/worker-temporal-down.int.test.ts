import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { startTask, waitForPollers } from '../../src/client/task-client';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import { startPrivateTemporal, type PrivateServer } from '../../src/testing/private-servers';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { DEMO_GOAL } from '../../src/client/offline/demo-goal';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';

jest.setTimeout(300_000);

/**
 * A real `chassis worker` pointed at a private Temporal dev server that is down when the
 * worker starts, and that is killed and restarted while the worker runs. The worker must
 * come up, wait, and run tasks each time the server is back, without being restarted.
 */
describe('a worker and a Temporal server that is down', () => {
  let temporal: PrivateServer;
  let database: TestDatabase;
  let worker: WorkerProcess;
  const taskQueue = `test-temporal-down-${randomUUID()}`;

  beforeAll(async () => {
    temporal = await startPrivateTemporal({ start: false });
    database = await openTestDatabase('temporal_down');
  });

  afterAll(async () => {
    await worker?.stop();
    await temporal?.dispose();
    await database?.drop();
  });

  /** Runs the demo task on the private server through a fresh client. */
  async function runDemoTask(): Promise<AgentTaskResult> {
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection });
      expect(await waitForPollers(client, taskQueue, 60_000)).toBe(true);
      const handle = await startTask(client, { goal: DEMO_GOAL }, { taskQueue });
      return await handle.result();
    } finally {
      await connection.close();
    }
  }

  it('comes up while Temporal is down, runs a task once it starts, and survives a kill -9 and restart', async () => {
    worker = spawnWorkerProcess({
      TEMPORAL_ADDRESS: temporal.address,
      CHASSIS_TASK_QUEUE: taskQueue,
      MONGODB_DB: database.db.databaseName,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
    });
    const address = temporal.address.replace(/\./g, '\\.');
    await worker.waitForLine(
      new RegExp(
        `^waiting for Temporal at ${address} \\(connect ECONNREFUSED ${address}\\) — the workers start polling`,
      ),
    );
    expect(await worker.waitForLine(/^health: /)).toMatch(
      new RegExp(
        `^health: temporal down \\(connect ECONNREFUSED ${address}\\) · mongodb ok · models ok \\(scripted offline model\\)$`,
      ),
    );

    let mark = worker.lines.length;
    await temporal.start();
    await worker.waitForLine(new RegExp(`^Temporal at ${address} answers`), { after: mark });
    await worker.waitForLine(/^worker polling task queue/, { after: mark });
    await worker.waitForLine(/^health: temporal ok · mongodb ok · models ok/, { after: mark });
    const first = await runDemoTask();
    expect(first.status).toBe('completed');
    expect(first.answer).toContain('409.5');

    // Start-up and the wait for Temporal print no warnings: the SDK's per-retry warnings are replaced by the health line.
    expect(worker.lines.filter((line) => /\bWARN\b/.test(line))).toEqual([]);

    // The server dies under the running worker and comes back on the same port and data.
    mark = worker.lines.length;
    await temporal.kill();
    await worker.waitForLine(/^health: temporal down/, { after: mark });
    mark = worker.lines.length;
    await temporal.start();
    await worker.waitForLine(/^health: temporal ok/, { after: mark });
    const second = await runDemoTask();
    expect(second.status).toBe('completed');
    expect(second.answer).toContain('409.5');

    expect(worker.running()).toBe(true);
  });
});
