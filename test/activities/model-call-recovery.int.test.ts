import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { createDataConverter } from '../../src/codec/data-converter';
import { startPrivateMongo, type PrivateServer } from '../../src/testing/private-servers';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { ToolRegistry } from '../../src/tools/registry';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';
import { spawnWorkerProcess } from '../workers/support/worker-process';

// Recovery of model calls on the real stack: the Temporal dev server, a worker in a child
// process killed with SIGKILL, a private FerretDB stopped and started, and the scripted
// model server (a test double for the provider) whose request log says what reached it.

const REQUEST_TIMEOUT_MS = 90_000;

const scripted = useScriptedStack({ stack: false });
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function inProcessWorker(options: { taskQueue?: string; dataConverter?: ReturnType<typeof createDataConverter> } = {}) {
  return scripted.startStack({
    dependencies: { models: scripted.gateway({ timeoutMs: REQUEST_TIMEOUT_MS }), tools: new ToolRegistry([]) },
    ...options,
  });
}

function startTask(stack: TestStack, script: ModelScriptInput, taskQueue = stack.taskQueue) {
  scripted.model.setScript(script);
  return stack.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue,
    workflowId: `model-recovery-test-${randomUUID()}`,
    args: [{ goal: 'What is 2 + 2?', planning: 'direct', memory: false }],
  });
}

async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const seconds = (duration: { seconds?: unknown } | null | undefined) => Number(duration?.seconds ?? 0);

/** Each `callModel` activity: its timeouts, the attempt that ran last, and why the attempt before it ended. */
async function callModelStarts(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
      .map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes]),
  );
  return events.flatMap((event) => {
    const started = event.activityTaskStartedEventAttributes;
    const options = scheduled.get(String(started?.scheduledEventId));
    if (started === null || started === undefined || options === undefined) return [];
    return [
      {
        startToCloseSeconds: seconds(options?.startToCloseTimeout),
        heartbeatSeconds: seconds(options?.heartbeatTimeout),
        attempt: started.attempt ?? 1,
        lastFailure: started.lastFailure ?? undefined,
      },
    ];
  });
}

describe('a worker killed during a model call', () => {
  test('the call is retried by another worker after the heartbeat timeout, not the start-to-close timeout', async () => {
    const taskQueue = `recovery-test-${randomUUID()}`;
    const worker = spawnWorkerProcess({
      CHASSIS_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: scripted.model.baseURL,
      OPENAI_API_KEY: 'scripted-test-key',
      OPENAI_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      MONGODB_DB: `chassis_test_recovery_${randomUUID().slice(0, 8)}`,
      // The in-process worker that takes over has no codec: the same payloads on both sides.
      CHASSIS_CLAIM_CHECK_BYTES: 'off',
    });
    cleanups.push(async () => {
      if (worker.running()) worker.child.kill('SIGKILL');
    });
    await worker.waitForLine(/worker polling task queue/, { timeoutMs: 180_000 });

    // A client on the same queue (its own worker is not started until the child is dead).
    const { Client, Connection } = await import('@temporalio/client');
    const { loadConfig } = await import('../../src/config/load-config');
    const config = loadConfig();
    const connection = await Connection.connect({ address: config.temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    scripted.model.setScript({
      rules: [
        // The first request takes longer than the test: the worker dies while it runs.
        { name: 'slow', times: 1, reply: { content: 'too late' }, fault: { latencyMs: 120_000 } },
        { name: 'answer', reply: { content: '4' } },
      ],
    });
    const handle = await client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
      taskQueue,
      workflowId: `model-recovery-test-${randomUUID()}`,
      args: [{ goal: 'What is 2 + 2?', planning: 'direct', memory: false }],
    });
    await until(() => scripted.model.requests.length === 1, 'the first model request', 120_000);
    const killedAt = Date.now();
    worker.child.kill('SIGKILL');
    await worker.exited;

    await inProcessWorker({ taskQueue });
    const result = await handle.result();
    expect(result.answer).toBe('4');

    const [first, second] = scripted.model.requests;
    // The dead worker's request was cut with its process; the retry is a new request.
    expect(first).toMatchObject({ ruleName: 'slow', status: null, closedUnansweredAt: expect.any(String) });
    expect(second).toMatchObject({ ruleName: 'answer', status: 200 });
    expect(scripted.model.requests).toHaveLength(2);
    // The attempt the other worker ran was started because the first one missed its heartbeats.
    const [start] = await callModelStarts(handle);
    // The start-to-close timeout comes from the worker's OPENAI_TIMEOUT_MS (90 s) plus 30 s.
    expect(start).toMatchObject({ startToCloseSeconds: 120, heartbeatSeconds: 5, attempt: 2 });
    expect(start?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(
      // TIMEOUT_TYPE_HEARTBEAT
      4,
    );
    const recoveryMs = Date.parse(second?.receivedAt ?? '') - killedAt;
    process.stdout.write(`model call retried by another worker ${(recoveryMs / 1000).toFixed(1)} s after kill -9\n`);
  }, 300_000);
});

describe('a model call longer than the heartbeat timeout', () => {
  test('completes in one attempt: the activity heartbeats while the request runs', async () => {
    const stack = await inProcessWorker();
    const handle = await startTask(stack, {
      rules: [{ name: 'slow', reply: { content: '4' }, fault: { latencyMs: 8_000 } }],
    });
    const result = await handle.result();
    expect(result.answer).toBe('4');
    expect(scripted.model.requests).toHaveLength(1);
    expect(await callModelStarts(handle)).toEqual([expect.objectContaining({ heartbeatSeconds: 5, attempt: 1 })]);
  });
});

describe('cancelling a task during a model call', () => {
  test('reaches the running activity and aborts its HTTP request', async () => {
    const stack = await inProcessWorker();
    const handle = await startTask(stack, { rules: [{ name: 'hang', fault: { hang: true } }] });
    await until(() => scripted.model.requests.length === 1, 'the model request');
    await handle.cancel();
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    // The cancellation reaches the activity through its heartbeats; its signal aborts the
    // request (which would otherwise stay open until the client's 90 s timeout).
    const [request] = scripted.model.requests;
    await until(() => request?.closedUnansweredAt ?? undefined, 'the request to be closed', 20_000);
    expect(request).toMatchObject({ status: null, closedUnansweredAt: expect.any(String) });
  });
});

describe('a retry after the model call completed', () => {
  let mongo: PrivateServer | undefined;

  afterAll(async () => {
    await mongo?.dispose();
  });

  test('does not reach the provider again when the claim check failed to store the answer (MongoDB down)', async () => {
    mongo = await startPrivateMongo();
    // Long enough for a retry's write to wait for the restart rather than fail all attempts.
    const client = new MongoClient(mongo.address, { serverSelectionTimeoutMS: 5_000 });
    cleanups.push(() => client.close());
    // Connected first, as a worker's client is: a driver whose first connect failed keeps a closed topology.
    await client.connect();
    const dataConverter = createDataConverter({ db: client.db('chassis_memo_test'), claimCheckThresholdBytes: 4_096 });
    const stack = await inProcessWorker({ dataConverter });
    // A long answer: the claim check stores it in MongoDB when the activity completes.
    const answer = 'forty-two '.repeat(2_000);
    const handle = await startTask(stack, {
      rules: [{ name: 'long', reply: { content: answer }, fault: { latencyMs: 8_000 } }],
    });
    await until(() => scripted.model.requests.length === 1, 'the model request');
    await mongo.stop();
    // Attempt 1 got its answer but could not store it; once it has failed, MongoDB comes back.
    await until(async () => {
      const description = await handle.describe();
      const pending = description.raw.pendingActivities?.[0];
      return (pending?.attempt ?? 0) >= 2 ? true : undefined;
    }, 'the first attempt to fail');
    await mongo.start();
    const result = await handle.result();
    expect(result.answer).toBe(answer);
    const [start] = await callModelStarts(handle);
    expect(start?.attempt).toBeGreaterThanOrEqual(2);
    expect(scripted.model.requests).toHaveLength(1);
  }, 180_000);
});
