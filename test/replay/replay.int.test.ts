import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJson, historyIdentity } from '../../src/client/replay/history-json';
import { divergenceSummary, replayWorkflowHistory } from '../../src/client/replay/replay-history';
import { SESSION_STATE_SCHEMA_VERSION, type SessionInput } from '../../src/contracts/session';
import { quietLogger } from '../../src/observability/quiet-logger';
import { chassis } from '../client/operations-support';
import { useScriptedStack } from '../support/scripted-stack';

// Recorded histories of representative tasks (re-record with test/replay/record-histories.ts)
// replayed against the current workflow code: a change that would break running workflows
// fails here. Temporal is the real dev server; the model is the scripted test double.
const HISTORIES = path.join(__dirname, '..', 'fixtures', 'histories');
const FIXTURES = readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .sort();
const CHANGED_WORKFLOWS = path.join(__dirname, 'fixtures-workflows');
const PATCHED_WORKFLOWS = path.join(__dirname, 'patched-workflows');

function loadFixture(file: string) {
  const history = historyFromJson(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
  const workflowId = historyIdentity(history).workflowId;
  if (workflowId === undefined) throw new Error(`${file}: the history does not record its workflow id`);
  return { history, workflowId };
}

const errorsOnly = quietLogger('ERROR');

// One bundle for the fixtures' replays and the end-to-end task; its stack installs the worker runtime first.
const scripted = useScriptedStack({
  script: {
    rules: [
      {
        name: 'tool',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '6 * 7' } }] },
      },
      { name: 'answer', match: { hasToolResults: true }, reply: { content: 'It is {{lastToolResult}}.' } },
    ],
  },
});

describe('recorded histories replay against the current workflow code', () => {
  test('the fixtures cover a direct task with tools (as activities and as local activities, its memory writing started as a child and by a local activity), a decomposed task and its subtask, a failed task, a session across continue-as-new, the honest-ending and shared-budget paths, a long task whose working memory is summarized across continue-as-new, approvals keyed by provider ids, and a side effect whose open outcome a second round resolves', () => {
    expect(FIXTURES).toEqual(
      expect.arrayContaining([
        'direct-task-with-tools.json',
        'direct-task-local.json',
        'direct-task-remember-local.json',
        'decomposed-task.json',
        'decomposed-task.revenue.json',
        'failed-task.json',
        'session.json',
        'session.run-2.json',
        'session-state-v1.json',
        'malformed-tool-calls.json',
        'shared-budget.json',
        'shared-budget.north.json',
        'long-task.json',
        'long-task.run-2.json',
        'long-task.run-3.json',
        'approvals-repeated-call-ids.json',
        'open-outcome-resolved.json',
      ]),
    );
  });

  test('the session fixtures start from states of older schema versions (continued as new into this code)', () => {
    const carriedVersion = (file: string) => {
      const { history } = loadFixture(file);
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? {};
      const input = defaultPayloadConverter.fromPayload<SessionInput>(payload);
      return input.state?.schemaVersion;
    };
    expect(SESSION_STATE_SCHEMA_VERSION).toBe(3);
    expect(carriedVersion('session.json')).toBeUndefined();
    // Recorded by the code before the session refactor: its continue-as-new carried version 2.
    expect(carriedVersion('session.run-2.json')).toBe(2);
    expect(carriedVersion('session-state-v1.json')).toBe(1);
  });

  test('every fixture replays deterministically (Worker.runReplayHistories)', async () => {
    const results: { file: string; error?: string }[] = [];
    const histories = FIXTURES.map((file) => ({ file, ...loadFixture(file) }));
    let index = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: scripted.bundle, replayName: 'fixtures' },
      histories.map(({ history, workflowId }) => ({ history, workflowId })),
    )) {
      const file = histories[index++]?.file ?? '?';
      results.push({ file, ...(result.error ? { error: `${result.error.name}: ${result.error.message}` } : {}) });
    }
    expect(results).toEqual(FIXTURES.map((file) => ({ file })));
  });
});

describe('the check can fail', () => {
  test('a changed workflow (activities in another order, unpatched) is a DeterminismViolationError', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: require.resolve(CHANGED_WORKFLOWS),
      logger: errorsOnly,
    });
    const { history, workflowId } = loadFixture('direct-task-with-tools.json');
    const failure = await Worker.runReplayHistory(
      { workflowBundle: changed, replayName: 'changed' },
      history,
      workflowId,
    ).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.name).toBe('DeterminismViolationError');
    // Where it diverged: the first history event the changed code's new activity does not match.
    expect(divergenceSummary(failure?.message ?? '')).toMatch(
      /^\[TMPRL1100\] Nondeterminism error: .*HistoryEvent\(id: \d+, \w+\)/,
    );
  });

  test('the same change behind patched() replays every agent-task fixture', async () => {
    const patchedBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve(PATCHED_WORKFLOWS),
      logger: errorsOnly,
    });
    for (const file of FIXTURES) {
      const outcome = await replayWorkflowHistory({
        ...loadFixture(file),
        workflows: { workflowBundle: patchedBundle },
      });
      expect({ file, deterministic: outcome.deterministic, message: outcome.message }).toEqual({
        file,
        deterministic: true,
        message: undefined,
      });
    }
  });
});

describe('chassis replay, end to end', () => {
  test('a task run here replays: "deterministic", exit 0; against a changed workflow: where it diverged, exit 1', async () => {
    const workflowId = `replay-test-${randomUUID()}`;
    const handle = await scripted.stack.client.workflow.start('agentTaskWorkflow', {
      taskQueue: scripted.stack.taskQueue,
      workflowId,
      args: [{ goal: 'What is 6 * 7?', model: 'gpt-4.1-mini', planning: 'direct', memory: false }],
    });
    await handle.result();
    const environment = { CHASSIS_TASK_QUEUE: scripted.stack.taskQueue };

    const passing = await chassis(['replay', workflowId], environment);
    expect(passing.stderr).toBe('');
    expect(passing.code).toBe(0);
    expect(passing.stdout).toMatch(
      new RegExp(`^deterministic: ${workflowId} run ${handle.firstExecutionRunId} \\(\\d+ events\\)`),
    );

    const json = await chassis(['replay', workflowId, '--run', handle.firstExecutionRunId, '--json'], environment);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      workflowId,
      runId: handle.firstExecutionRunId,
      deterministic: true,
    });

    const failing = await chassis(['replay', workflowId, '--workflows', 'test/replay/fixtures-workflows'], environment);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^NOT deterministic: /);
    expect(failing.stdout).toMatch(/Nondeterminism error: .*HistoryEvent\(id: \d+/);
    expect(failing.stderr.trim()).toBe(`chassis: replay of ${workflowId} is not deterministic`);
    // Three CLI processes, each bundling the workflows to replay: minutes on a loaded 2-core machine.
  }, 240_000);

  test('a fixture file replays with --history; an unknown workflow is a one-line error (exit 2)', async () => {
    const fromFile = await chassis(['replay', '--history', path.join(HISTORIES, 'decomposed-task.json')]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/^deterministic: fixture-decomposed-task /);

    const missing = await chassis(['replay', `no-such-workflow-${randomUUID()}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^chassis: no workflow with id "no-such-workflow-[^"]+" in namespace "default"\n$/);
  }, 180_000);
});
