import { TaskEventLog } from '../../src/events/task-event-log';
import { loadScriptFile } from '../../src/testing/scripted-model';
import { DEMO_GOAL, DEMO_SCRIPT_PATH } from '../../src/client/offline/demo-goal';
import { useScriptedStack } from '../support/scripted-stack';
import { chassis as runChassis, type CliRun } from './operations-support';

// The real CLI in a child process, as a user runs it, against the real dev server, a worker
// publishing events to the real MongoDB-wire server, and the offline demo's scripted model.

type EventLine = Record<string, unknown> & { type: string };

const scripted = useScriptedStack({
  script: () => loadScriptFile(DEMO_SCRIPT_PATH),
  database: 'streaming_cli',
  stack: ({ database }) => ({ dependencies: { events: new TaskEventLog(database.db) } }),
});

beforeEach(async () => {
  scripted.model.setScript(await loadScriptFile(DEMO_SCRIPT_PATH));
});

const chassis = (args: string[]) =>
  runChassis(args, {
    CHASSIS_TASK_QUEUE: scripted.stack.taskQueue,
    MONGODB_DB: scripted.database.db.databaseName,
  });

function lines(run: CliRun): EventLine[] {
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as EventLine);
}

const tokenText = (events: EventLine[]) =>
  events.map((event) => (event.type === 'token' ? String(event.text) : '')).join('');

describe('chassis run --events on the offline demo', () => {
  test('prints NDJSON events, tokens before done, and ends with the --json object as done', async () => {
    const run = await chassis(['run', '--events', DEMO_GOAL]);
    expect(run.code).toBe(0);
    const events = lines(run);
    const types = events.map((event) => event.type);
    expect(new Set(types)).toEqual(new Set(['step', 'token', 'tool', 'answer', 'done']));
    expect(types.indexOf('token')).toBeLessThan(types.indexOf('done'));
    expect(types.at(-1)).toBe('done');
    expect(types.filter((type) => type === 'done')).toHaveLength(1);
    // The demo answer streamed word by word (the demo script pauses between chunks).
    const answerStep = events.find((event) => event.type === 'step' && event.label === 'step 2');
    const answerTokens = events.filter((event) => event.type === 'token' && event.callId === answerStep?.callId);
    expect(answerTokens.length).toBeGreaterThan(1);

    const { type, ...outcome } = events.at(-1) as EventLine;
    expect(type).toBe('done');
    expect(Object.keys(outcome).sort()).toEqual(['answer', 'runId', 'status', 'subtasks', 'usage', 'workflowId']);
    expect(outcome).toMatchObject({ status: 'completed', subtasks: [] });
    expect(outcome.answer).toEqual(expect.stringMatching(/^17\.5% of 2,340 is 409\.5\b/));
    expect(tokenText(answerTokens)).toBe(outcome.answer);
    expect(events.find((event) => event.type === 'answer')).toMatchObject({ text: outcome.answer });
    // The planner, then the tool calls and their results, then the answer.
    expect(events.filter((event) => event.type === 'step').map((event) => event.label)).toEqual([
      'plan',
      'step 1',
      'step 2',
    ]);
    expect(
      events
        .filter((event) => event.type === 'tool')
        .map((event) => `${String(event.name)} ${String(event.phase)}`)
        .sort(),
    ).toEqual(['calculator call', 'calculator result', 'clock call', 'clock result']);
    expect(
      events.find((event) => event.type === 'tool' && event.phase === 'result' && event.name === 'calculator'),
    ).toMatchObject({
      ok: true,
      output: expect.stringContaining('409.5'),
    });
    // Nothing else on stdout: every line is an event; progress lines are not printed.
    expect(run.stderr).not.toContain('started task-');

    // `chassis events` replays the same events afterwards, and from a sequence on.
    const replay = await chassis(['events', String(outcome.workflowId)]);
    expect(replay.code).toBe(0);
    expect(lines(replay)).toEqual(events);
    const middle = Number(events[3]?.sequence);
    const rest = await chassis(['events', String(outcome.workflowId), '--from', String(middle)]);
    expect(lines(rest)).toEqual(events.slice(4));
  });

  test('--events with --json or --no-wait is a one-line error', async () => {
    const both = await chassis(['run', '--events', '--json', 'x']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('chassis: --events and --json both choose the output: pick one');
    const noWait = await chassis(['run', '--events', '--no-wait', 'x']);
    expect(noWait.code).toBe(2);
    expect(noWait.stderr).toContain('cannot go with --no-wait');
    const unknown = await chassis(['events', 'no-such-task']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/^chassis: no workflow with id "no-such-task"/);
  });

  test('without a terminal and without --events, run prints what it always did', async () => {
    const run = await chassis(['run', DEMO_GOAL]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^17\.5% of 2,340 is 409\.5\b/);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('status: completed');
  });
});

describe('chassis send --events', () => {
  test("streams the turn's events and ends with the --json object as done", async () => {
    const session = `stream-${Date.now()}`;
    const run = await chassis(['send', '--session', session, '--events', DEMO_GOAL]);
    expect(run.code).toBe(0);
    const events = lines(run);
    const done = events.at(-1) as EventLine;
    expect(done).toMatchObject({ type: 'done', sessionId: session, turn: 1, status: 'completed' });
    expect(String(done.answer)).toMatch(/^17\.5% of 2,340 is 409\.5\b/);
    expect(events.every((event) => event.type === 'done' || event.workflowId === `session-${session}/turn-1`)).toBe(
      true,
    );
    const answer = events.find((event) => event.type === 'answer');
    expect(answer).toMatchObject({ text: done.answer });
    const tokens = events.filter((event) => event.type === 'token' && event.callId === answer?.callId);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokenText(tokens)).toBe(done.answer);

    // A second message follows its own turn only.
    const second = await chassis(['send', '--session', session, '--events', DEMO_GOAL]);
    const secondEvents = lines(second);
    expect(secondEvents.at(-1)).toMatchObject({ type: 'done', turn: 2 });
    expect(
      secondEvents
        .filter((event) => event.type !== 'done')
        .every((event) => event.workflowId === `session-${session}/turn-2`),
    ).toBe(true);
    await scripted.stack.client.workflow.getHandle(`session-${session}`).terminate('test cleanup');
  });
});
