import { randomUUID } from 'node:crypto';
import type { PublishedTaskEvent } from '../../src/contracts/task-events';
import { taskEvents, type TaskEvent } from '../../src/client/task-events';
import { TaskEventLog } from '../../src/events/task-event-log';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Streaming end to end on the real stack: the Temporal dev server, workers publishing to the
// real MongoDB-wire server, and the scripted model server (a test double for the provider)
// streaming its answers slowly.

const MODEL = 'gpt-4.1-mini';
const ANSWER = 'The revenue was 1000 USD: 250 units sold at 4 USD each, as both parts of the research found.';

const scripted = useScriptedStack({
  database: 'task_events_client',
  stack: ({ database, gateway }) => ({
    dependencies: { models: gateway({ timeoutMs: 20_000 }), events: new TaskEventLog(database.db) },
  }),
});

function start(script: ModelScriptInput, extra: Record<string, unknown> = {}) {
  scripted.model.setScript(script);
  return scripted.stack.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `task-events-test-${randomUUID()}`,
    args: [{ goal: 'What was the revenue?', model: MODEL, memory: false, ...extra }],
  });
}

const follow = (workflowId: string, fromSequence = 0) =>
  taskEvents(scripted.stack.client, workflowId, { db: scripted.database.db, fromSequence, pollIntervalMs: 50 });

async function all(workflowId: string, fromSequence = 0): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  for await (const event of follow(workflowId, fromSequence)) events.push(event);
  return events;
}

const published = (events: TaskEvent[]) => events.filter((event): event is PublishedTaskEvent => event.type !== 'done');

/** The text of a call's last attempt: what a consumer keeps after dropping superseded attempts. */
function latestText(events: PublishedTaskEvent[], callId: string): string {
  const attempts = events.flatMap((event) => (event.type === 'step' && event.callId === callId ? [event.attempt] : []));
  const last = Math.max(...attempts);
  return events
    .map((event) => (event.type === 'token' && event.callId === callId && event.attempt === last ? event.text : ''))
    .join('');
}

describe('taskEvents on the real stack', () => {
  test('tokens arrive while the task is still running, and spell the answer the task returns', async () => {
    const handle = await start(
      { rules: [{ name: 'answer', reply: { content: ANSWER }, stream: { chunkDelayMs: 150 } }] },
      { planning: 'direct' },
    );
    const events: TaskEvent[] = [];
    let statusAtFirstToken: string | undefined;
    for await (const event of follow(handle.workflowId)) {
      events.push(event);
      if (event.type === 'token' && statusAtFirstToken === undefined) {
        statusAtFirstToken = (await handle.describe()).status.name;
      }
    }
    expect(statusAtFirstToken).toBe('RUNNING');
    const done = events.at(-1);
    expect(done).toMatchObject({ type: 'done', workflowId: handle.workflowId, status: 'completed', answer: ANSWER });
    const step = published(events).find((event) => event.type === 'step');
    if (step?.type !== 'step') throw new Error('expected a step event');
    expect(step).toMatchObject({ label: 'step 1', model: MODEL, attempt: 1 });
    // Several token events (the answer came over ~2.5 s, written every 100 ms), one answer event.
    expect(published(events).filter((event) => event.type === 'token').length).toBeGreaterThan(3);
    expect(latestText(published(events), step.callId)).toBe(ANSWER);
    expect(published(events).filter((event) => event.type === 'answer')).toEqual([
      expect.objectContaining({ callId: step.callId, attempt: 1, text: ANSWER }),
    ]);
    expect((await handle.result()).answer).toBe(ANSWER);
  });

  test('a reader that reconnects from a sequence, and one that connects late, get every event exactly once', async () => {
    const part = (id: string, title: string) => ({
      id,
      title,
      instructions: `Find the ${title}.`,
      dependsOn: [],
      tools: [],
    });
    const handle = await start({
      stream: { chunkDelayMs: 60 },
      rules: [
        {
          name: 'plan',
          match: { system: '^You are the planner' },
          reply: {
            content: JSON.stringify({
              mode: 'decompose',
              subtasks: [part('prices', 'prices'), part('volumes', 'volumes')],
            }),
          },
        },
        {
          name: 'prices',
          match: { lastUser: 'Your part: prices' },
          reply: { content: 'The price is 4 USD per unit, from the list.' },
        },
        {
          name: 'volumes',
          match: { lastUser: 'Your part: volumes' },
          reply: { content: 'The volume is 250 units, from the ledger.' },
        },
        { name: 'synthesis', match: { system: '^You are the synthesizer' }, reply: { content: ANSWER } },
      ],
    });
    // The first reader drops its connection after a few events, while the task runs…
    const before: TaskEvent[] = [];
    let runningWhenDropped = '';
    for await (const event of follow(handle.workflowId)) {
      before.push(event);
      if (before.length === 4) {
        runningWhenDropped = (await handle.describe()).status.name;
        break;
      }
    }
    expect(runningWhenDropped).toBe('RUNNING');
    // …and comes back with the last sequence it handled.
    const lastSeen = published(before).at(-1)?.sequence ?? 0;
    const after = await all(handle.workflowId, lastSeen);
    // A reader that connects once the task has ended reads it all.
    const late = await all(handle.workflowId);

    expect([...before, ...after]).toEqual(late);
    const sequences = published(late).map((event) => event.sequence);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    expect(late.at(-1)).toMatchObject({ type: 'done', status: 'completed', answer: ANSWER });
    expect(late.filter((event) => event.type === 'done')).toHaveLength(1);

    // Both subtasks, each announced once and finished with its answer, while the parent planned and synthesized.
    // Subtask workflow ids are positional (no plan text in ids): the plan's first subtask is subtask-1.
    const subtaskEvents = published(late).filter((event) => event.type === 'subtask');
    expect(
      subtaskEvents.map((event) => (event.type === 'subtask' ? `${event.subtaskId} ${event.phase}` : '')).sort(),
    ).toEqual(['subtask-1 finished', 'subtask-1 started', 'subtask-2 finished', 'subtask-2 started']);
    expect(
      subtaskEvents.find(
        (event) => event.type === 'subtask' && event.subtaskId === 'subtask-2' && event.phase === 'finished',
      ),
    ).toMatchObject({
      workflowId: `${handle.workflowId}/subtask-2`,
      answer: 'The volume is 250 units, from the ledger.',
    });
    const labels = published(late).flatMap((event) =>
      event.type === 'step' ? [`${event.workflowId.split('/')[1] ?? 'task'}: ${event.label}`] : [],
    );
    expect(labels.sort()).toEqual(['subtask-1: step 1', 'subtask-2: step 1', 'task: plan', 'task: synthesize']);
    expect(published(late).filter((event) => event.type === 'answer')).toEqual([
      expect.objectContaining({ workflowId: handle.workflowId, text: ANSWER }),
    ]);
  });

  test('following a finished task from its last sequence yields only done; an unknown id is an error', async () => {
    const handle = await start({ rules: [{ name: 'answer', reply: { content: 'Four.' } }] }, { planning: 'direct' });
    await handle.result();
    const everything = await all(handle.workflowId);
    const last = published(everything).at(-1)?.sequence ?? 0;
    expect(await all(handle.workflowId, last)).toEqual([everything.at(-1)]);
    await expect(all(`no-such-task-${randomUUID()}`)).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
  });
});
