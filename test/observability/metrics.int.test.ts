import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { startTask, waitForPollers } from '../../src/client/task-client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { DEMO_GOAL } from '../../src/client/offline/demo-goal';
import { spawnWorkerProcess, type WorkerProcess } from '../workers/support/worker-process';

jest.setTimeout(240_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The value of the first sample of `name` whose labels include every one given. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * A real `chassis worker` with CHASSIS_METRICS_PORT runs the demo task; a scrape of the
 * endpoint then has the Temporal runtime's metrics and Chassis's own on one port.
 */
describe('the worker metrics endpoint', () => {
  let worker: WorkerProcess;
  let database: TestDatabase;
  let connection: Connection;

  beforeAll(async () => {
    database = await openTestDatabase('metrics');
    connection = await Connection.connect(clientConnectionOptions(loadConfig().temporal.connection));
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await database?.drop();
  });

  test('after a task: tasks, model calls, tokens, cost, tool calls, breaker states and the SDK metrics', async () => {
    const port = await freePort();
    const taskQueue = `test-metrics-${randomUUID()}`;
    worker = spawnWorkerProcess({
      CHASSIS_TASK_QUEUE: taskQueue,
      MONGODB_DB: database.db.databaseName,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      CHASSIS_METRICS_PORT: String(port),
    });
    await worker.waitForLine(new RegExp(`^\\s+ops\\s+metrics on http://127\\.0\\.0\\.1:${port}/metrics`), {
      timeoutMs: 180_000,
    });
    await worker.waitForLine(/^worker polling task queue/, { timeoutMs: 180_000 });
    const client = new Client({ connection });
    expect(await waitForPollers(client, taskQueue, 60_000)).toBe(true);
    const handle = await startTask(client, { goal: DEMO_GOAL }, { taskQueue });
    const result = await handle.result();
    expect(result.status).toBe('completed');

    // The runtime exports on its own schedule: scrape until the task's numbers are there.
    let text = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      text = await response.text();
      // Breaker states are refreshed every 5 s, not at each call.
      const finished = sample(text, 'chassis_tasks_finished', {
        status: 'completed',
        workflowType: 'agentTaskWorkflow',
      });
      if (finished === 1 && sample(text, 'chassis_circuit_breaker_state', { kind: 'model' }) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(sample(text, 'chassis_tasks_finished', { status: 'completed', workflowType: 'agentTaskWorkflow' })).toBe(1);
    // The demo's model calls and their tokens, as the task's own usage says.
    const calls = text
      .split('\n')
      .filter((line) => line.startsWith('chassis_model_calls{') && line.includes('outcome="ok"'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(calls).toBe(result.usage.modelCalls);
    const tokens = (kind: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('chassis_model_tokens{') && line.includes(`kind="${kind}"`))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(tokens('input')).toBe(result.usage.inputTokens);
    expect(tokens('output')).toBe(result.usage.outputTokens);
    expect(text).toMatch(/^chassis_model_cost_usd_sum\{/m);
    expect(sample(text, 'chassis_tool_calls', { tool: 'calculator', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'chassis_tool_calls', { tool: 'clock', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'chassis_circuit_breaker_state', { kind: 'model' })).toBe(0);
    // The SDK's own worker metrics share the endpoint.
    expect(text).toMatch(/^temporal_workflow_completed\{/m);
    expect(text).toMatch(/^temporal_activity_execution_latency_(bucket|sum|count)\{/m);
  });
});
