import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ModelCallInput } from '../../src/contracts/activities';
import type { PublishedTaskEvent } from '../../src/contracts/task-events';
import { createModelActivities } from '../../src/activities/model-activities';
import { createToolActivities } from '../../src/activities/tool-activities';
import { TaskEventLog } from '../../src/events/task-event-log';
import { quietLogger } from '../../src/observability/quiet-logger';
import { ModelCatalog } from '../../src/models/catalog';
import { parseModelCatalog } from '../../src/models/catalog-schema';
import { ModelGateway } from '../../src/models/model-gateway';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

// Model and tool activities publish their events to the real MongoDB-wire server, with the
// scripted model server streaming over HTTP. MockActivityEnvironment only provides the
// activity context (ids, attempt, heartbeats).

const ANSWER = 'Seventeen and a half percent of 2,340 is 409.5, according to the calculator.';

let model: ScriptedModelServer;
let database: TestDatabase;
let log: TaskEventLog;

beforeAll(async () => {
  model = await startQuietScriptedModel({ rules: [{ name: 'x', reply: { content: 'x' } }] });
  database = await openTestDatabase('model_call_events');
  log = new TaskEventLog(database.db);
});

afterAll(async () => {
  await model.close();
  await database.drop();
});

const catalog = new ModelCatalog(
  parseModelCatalog({
    models: [{ id: 'small', price: { input: 0.4, cachedInput: 0.1, output: 1.6 }, contextWindow: 100_000 }],
    tiers: { small: ['small'], large: ['small'] },
  }),
);

function activities() {
  const models = new ModelGateway({
    catalog,
    timeoutMs: 10_000,
    singleEndpoint: { baseUrl: model.baseURL },
    warn: () => undefined,
  });
  return createModelActivities({ models, events: log, db: database.db });
}

function question(extra: Partial<ModelCallInput> = {}): ModelCallInput {
  return {
    model: 'small',
    messages: [{ role: 'user', content: 'What is 17.5% of 2,340?' }],
    purpose: 'step 1',
    route: { purpose: 'step', tier: 'small', model: 'small', reason: 'test' },
    ...extra,
  };
}

const silent = quietLogger('OFF');

/** Runs `fn` as attempt `attempt` of activity `activityId` of `workflowId`; counts its heartbeats. */
async function run<R>(
  workflowId: string,
  fn: () => Promise<R>,
  options: { activityId?: string; attempt?: number } = {},
) {
  const environment = new MockActivityEnvironment(
    {
      activityId: options.activityId ?? randomUUID(),
      attempt: options.attempt ?? 1,
      heartbeatTimeoutMs: 5_000,
      workflowExecution: { workflowId, runId: 'run-1' },
    },
    { logger: silent },
  );
  let heartbeats = 0;
  environment.on('heartbeat', () => heartbeats++);
  const result = (await environment.run(fn)) as R;
  return { result, heartbeats };
}

const stream = async (workflowId: string): Promise<PublishedTaskEvent[]> =>
  log.readAfter(workflowId.split('/')[0] ?? '', 0);

describe('a model call publishes its events', () => {
  test('a streamed final answer: step, several token events that spell it, then the answer; every chunk heartbeats', async () => {
    // Chunks slower than the 100 ms flush: the tokens reach the log in several events, as they come.
    model.setScript({ rules: [{ name: 'answer', reply: { content: ANSWER }, stream: { chunkDelayMs: 40 } }] });
    const taskId = `task-${randomUUID()}`;
    const { result, heartbeats } = await run(taskId, () => activities().callModel(question()), { activityId: '7' });
    expect(result.content).toBe(ANSWER);
    const events = await stream(taskId);
    expect(events[0]).toMatchObject({
      type: 'step',
      sequence: 1,
      workflowId: taskId,
      callId: 'run-1/7',
      attempt: 1,
      label: 'step 1',
      model: 'small',
      tier: 'small',
    });
    const tokens = events.filter((event) => event.type === 'token');
    expect(tokens.length).toBeGreaterThan(2);
    expect(tokens.map((event) => (event.type === 'token' ? event.text : '')).join('')).toBe(ANSWER);
    expect(events.at(-1)).toMatchObject({ type: 'answer', callId: 'run-1/7', attempt: 1, text: ANSWER });
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    // One per chunk (and the first before the request): the SDK throttles what reaches the server.
    expect(heartbeats).toBeGreaterThan(ANSWER.split(' ').length);
  });

  test('tool calls come as tool events with their arguments, and no answer; the tool activity publishes each result', async () => {
    model.setScript({
      rules: [
        { name: 'tools', reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '2340 * 0.175' } }] } },
      ],
    });
    const taskId = `task-${randomUUID()}`;
    const { result } = await run(taskId, () => activities().callModel(question()));
    const call = result.toolCalls[0];
    if (call === undefined) throw new Error('expected a tool call');
    const tools = createToolActivities({ tools: new ToolRegistry(builtInTools()), events: log });
    await run(taskId, () => tools.callTool({ call, idempotencyKey: `${taskId}/1/${call.id}` }), { attempt: 2 });
    const events = await stream(taskId);
    expect(events.map((event) => event.type)).toEqual(['step', 'tool', 'tool']);
    expect(events[1]).toMatchObject({
      type: 'tool',
      phase: 'call',
      toolCallId: call.id,
      name: 'calculator',
      arguments: '{"expression":"2340 * 0.175"}',
    });
    expect(events[2]).toMatchObject({
      type: 'tool',
      phase: 'result',
      toolCallId: call.id,
      name: 'calculator',
      attempt: 2,
      ok: true,
      output: expect.stringContaining('409.5'),
    });
  });

  test('a subtask is announced once, by its first call, and finishes with its answer; planning is no answer', async () => {
    model.setScript({
      rules: [
        { name: 'plan', match: { system: 'planner' }, reply: { content: '{"mode":"direct"}' } },
        { name: 'tools', match: { hasToolResults: false }, reply: { toolCalls: [{ name: 'clock', arguments: {} }] } },
        { name: 'answer', reply: { content: 'It is noon.' } },
      ],
    });
    const taskId = `task-${randomUUID()}`;
    const subtask = `${taskId}/what-time`;
    const { callModel } = activities();
    await run(taskId, () =>
      callModel(
        question({
          purpose: 'plan',
          messages: [
            { role: 'system', content: 'You are the planner' },
            { role: 'user', content: 'x' },
          ],
          responseFormat: { name: 'plan', schema: {} },
        }),
      ),
    );
    await run(subtask, () => callModel(question()));
    // Its next call does not announce it again (across processes the log's announce() decides: see its tests).
    await run(subtask, () =>
      callModel(
        question({
          purpose: 'step 2',
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'clock', arguments: '{}' }] },
            { role: 'tool', toolCallId: 'c1', content: '12:00' },
          ],
        }),
      ),
    );
    const events = await stream(taskId);
    expect(
      events.map((event) => [
        event.type,
        event.workflowId === subtask ? 'subtask' : 'task',
        'phase' in event ? event.phase : '',
      ]),
    ).toEqual([
      ['step', 'task', ''],
      ['token', 'task', ''],
      ['subtask', 'subtask', 'started'],
      ['step', 'subtask', ''],
      ['tool', 'subtask', 'call'],
      ['step', 'subtask', ''],
      ['token', 'subtask', ''],
      ['subtask', 'subtask', 'finished'],
    ]);
    expect(events[2]).toMatchObject({ subtaskId: 'what-time' });
    expect(events.at(-1)).toMatchObject({ subtaskId: 'what-time', answer: 'It is noon.' });
  });

  test('a retried attempt streams again under its own attempt number', async () => {
    model.setScript({ rules: [{ name: 'answer', reply: { content: 'Four.' } }] });
    const taskId = `task-${randomUUID()}`;
    const { callModel } = activities();
    await run(taskId, () => callModel(question()), { activityId: '3', attempt: 1 });
    // Another worker's attempt: no memo of the first, so it calls the model again.
    await run(taskId, () => activities().callModel(question()), { activityId: '3', attempt: 2 });
    const events = await stream(taskId);
    expect(events.map((event) => [event.type, 'attempt' in event ? event.attempt : 0])).toEqual([
      ['step', 1],
      ['token', 1],
      ['answer', 1],
      ['step', 2],
      ['token', 2],
      ['answer', 2],
    ]);
    expect(new Set(events.map((event) => ('callId' in event ? event.callId : '')))).toEqual(new Set(['run-1/3']));
  });

  test('an answer served from the prompt cache is published whole', async () => {
    model.setScript({ rules: [{ name: 'answer', reply: { content: 'Cached four.' } }] });
    const taskId = `task-${randomUUID()}`;
    const { callModel } = activities();
    await run(taskId, () => callModel(question({ temperature: 0, cache: true })));
    const second = await run(taskId, () => callModel(question({ temperature: 0, cache: true })));
    expect(second.result.cached).toBe(true);
    expect(model.requests).toHaveLength(1);
    const events = await stream(taskId);
    expect(
      events.filter((event) => event.type === 'token').map((event) => (event.type === 'token' ? event.text : '')),
    ).toEqual(['Cached four.', 'Cached four.']);
    expect(events.filter((event) => event.type === 'answer')).toHaveLength(2);
  });
});
