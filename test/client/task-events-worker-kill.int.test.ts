import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { PublishedTaskEvent } from '../../src/contracts/task-events';
import { taskEvents, type TaskEvent } from '../../src/client/task-events';
import { loadConfig } from '../../src/config/load-config';
import { TaskEventLog } from '../../src/events/task-event-log';
import { ToolRegistry } from '../../src/tools/registry';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';
import { spawnWorkerProcess } from '../workers/support/worker-process';

// A worker killed -9 while the model streams its answer: the real `chassis worker` in a
// child process, the Temporal dev server, the real MongoDB-wire server for the events, and
// the scripted model server (a test double for the provider) streaming slowly.

const ANSWER =
  'Two plus two is four: the sum of two and two, counted on the fingers of one hand, is four, and it stays four whoever counts.';

const scripted = useScriptedStack({ database: 'task_events_kill', stack: false });
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

test('a worker killed mid-stream: another takes over, and the events and the result end with one complete answer', async () => {
  const taskQueue = `stream-kill-test-${randomUUID()}`;
  const worker = spawnWorkerProcess({
    CHASSIS_TASK_QUEUE: taskQueue,
    OPENAI_BASE_URL: scripted.model.baseURL,
    OPENAI_API_KEY: 'scripted-test-key',
    MONGODB_DB: scripted.database.db.databaseName,
    // The in-process worker that takes over has no codec: the same payloads on both sides.
    CHASSIS_CLAIM_CHECK_BYTES: 'off',
  });
  cleanups.push(async () => {
    if (worker.running()) worker.child.kill('SIGKILL');
  });
  await worker.waitForLine(/worker polling task queue/, { timeoutMs: 180_000 });

  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporal.address });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: config.temporal.namespace });
  scripted.model.setScript({
    rules: [
      // The first attempt streams a word every 400 ms: the worker dies a few words in.
      { name: 'slow', times: 1, reply: { content: ANSWER }, stream: { chunkDelayMs: 400 } },
      { name: 'retry', reply: { content: ANSWER }, stream: { chunkDelayMs: 20 } },
    ],
  });
  const handle = await client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue,
    workflowId: `stream-kill-test-${randomUUID()}`,
    args: [{ goal: 'What is 2 + 2?', planning: 'direct', memory: false }],
  });

  const events: TaskEvent[] = [];
  let killed = false;
  for await (const event of taskEvents(client, handle.workflowId, { db: scripted.database.db, pollIntervalMs: 50 })) {
    events.push(event);
    if (!killed && events.filter((seen) => seen.type === 'token').length === 2) {
      // Two token events published: the answer is half-streamed. Kill the worker, start another.
      killed = true;
      worker.child.kill('SIGKILL');
      await worker.exited;
      await scripted.startStack({
        taskQueue,
        dependencies: {
          models: scripted.gateway({ timeoutMs: 60_000 }),
          tools: new ToolRegistry([]),
          events: new TaskEventLog(scripted.database.db),
        },
      });
    }
  }
  expect(killed).toBe(true);
  const published = events.filter((event): event is PublishedTaskEvent => event.type !== 'done');
  const steps = published.filter((event) => event.type === 'step');
  // One model call, two attempts: the dead worker's and the retry.
  expect(steps.map((step) => [step.type === 'step' ? step.label : '', 'attempt' in step ? step.attempt : 0])).toEqual([
    ['step 1', 1],
    ['step 1', 2],
  ]);
  const callIds = new Set(steps.map((step) => ('callId' in step ? step.callId : '')));
  expect(callIds.size).toBe(1);
  const textOf = (attempt: number) =>
    published.map((event) => (event.type === 'token' && event.attempt === attempt ? event.text : '')).join('');
  // The first attempt got part of the way; the second streamed it all again.
  expect(textOf(1).length).toBeGreaterThan(0);
  expect(ANSWER.startsWith(textOf(1))).toBe(true);
  expect(textOf(1)).not.toBe(ANSWER);
  expect(textOf(2)).toBe(ANSWER);
  // The superseded attempt's tokens all came before the retry's step event.
  const retryStep = published.indexOf(steps[1] as PublishedTaskEvent);
  expect(published.slice(retryStep).some((event) => event.type === 'token' && event.attempt === 1)).toBe(false);
  // One complete answer in the events and in the result.
  expect(published.filter((event) => event.type === 'answer')).toEqual([
    expect.objectContaining({ attempt: 2, text: ANSWER }),
  ]);
  expect(events.at(-1)).toMatchObject({ type: 'done', status: 'completed', answer: ANSWER });
  expect((await handle.result()).answer).toBe(ANSWER);
  // The provider saw the cut request and the retry.
  expect(scripted.model.requests.map((request) => request.ruleName)).toEqual(['slow', 'retry']);
}, 300_000);
