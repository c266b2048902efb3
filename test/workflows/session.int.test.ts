import { randomUUID } from 'node:crypto';
import {
  postMessageSignal,
  sessionStatusQuery,
  sessionWorkflowId,
  type SessionInput,
  type SessionMessage,
  type SessionState,
} from '../../src/contracts/session';
import { InvalidSessionMessageError, postToSession, sendToSession } from '../../src/client/session-client';
import type { ChatMessage } from '../../src/contracts/messages';
import { estimateMessagesTokens } from '../../src/shared/estimate-tokens';
import type { sessionWorkflow } from '../../src/workflows/session';
import { chassis } from '../client/operations-support';
import { useScriptedStack } from '../support/scripted-stack';

// Temporal is the real dev server; the model is the scripted server, a test double for the provider.
const SCRIPT = {
  rules: [
    { name: 'plan', match: { system: '^You are the planner' }, reply: { content: '{"mode":"direct"}' } },
    {
      name: 'summarize-name',
      match: { system: '^You are the summarizer', anyMessage: 'Ada' },
      reply: { content: 'SUMMARY: the user is called Ada.' },
    },
    { name: 'summarize', match: { system: '^You are the summarizer' }, reply: { content: 'SUMMARY: small talk.' } },
    {
      name: 'answer',
      match: { lastUser: '^message' },
      reply: { content: 'answer to {{lastUser}}' },
      fault: { latencyMs: 200 },
    },
  ],
};

const scripted = useScriptedStack({
  script: SCRIPT,
  stack: (fixture) => ({ dependencies: { models: fixture.gateway({ timeoutMs: 5_000 }) } }),
});

beforeEach(() => scripted.model.setScript(SCRIPT));

function options(input: Omit<SessionInput, 'sessionId'>) {
  return { taskQueue: scripted.stack.taskQueue, input: { model: 'gpt-4.1-mini', ...input } };
}

function userMessagesOf(ruleName: string): string[][] {
  return scripted.model.requests
    .filter((request) => request.ruleName === ruleName)
    .map((request) =>
      (request.body as { messages: { role: string; content: string }[] }).messages.map(
        (message) => `${message.role}: ${message.content}`,
      ),
    );
}

describe('sessionWorkflow', () => {
  test('answers messages in order, each with the earlier turns as context; a retried request id runs once', async () => {
    const sessionId = `s-${randomUUID()}`;
    // Sent together: the session runs them one at a time, in arrival order.
    const replies = await Promise.all(
      [1, 2, 3].map(async (index) => {
        await new Promise((resolve) => setTimeout(resolve, index * 150));
        return sendToSession(scripted.stack.client, sessionId, `message ${index}`, {
          ...options({}),
          requestId: `r${index}`,
        });
      }),
    );
    expect(replies.map((reply) => [reply.turn, reply.answer])).toEqual([
      [1, 'answer to message 1'],
      [2, 'answer to message 2'],
      [3, 'answer to message 3'],
    ]);
    expect(replies[2]?.taskWorkflowId).toBe(`${sessionWorkflowId(sessionId)}/turn-3`);
    // The third turn's model call carried the first two turns.
    const thirdCall = userMessagesOf('answer')[2] ?? [];
    expect(thirdCall).toEqual(
      expect.arrayContaining(['user: message 1', 'assistant: answer to message 1', 'user: message 2']),
    );

    const again = await sendToSession(scripted.stack.client, sessionId, 'message 2', {
      ...options({}),
      requestId: 'r2',
    });
    expect(again).toEqual(replies[1]);
    expect(userMessagesOf('answer')).toHaveLength(3);
  });

  test('keeps each turn within its token budget by summarizing older turns, continues as new carrying the summary, and ends after its idle time', async () => {
    const sessionId = `s-${randomUUID()}`;
    // A tiny budget: the system prompt, the message and a little history fit; older turns are summarized.
    const settings = options({ turnsPerRun: 2, contextMaxTokens: 450, idleTimeoutMs: 4_000 });
    await sendToSession(scripted.stack.client, sessionId, 'message A: my name is Ada', settings);
    const handle = scripted.stack.client.workflow.getHandle<typeof sessionWorkflow>(sessionWorkflowId(sessionId));
    const firstRun = (await handle.describe()).runId;
    await sendToSession(
      scripted.stack.client,
      sessionId,
      `message B: ${'a long detour about the weather '.repeat(30)}`,
      settings,
    );
    // The run continued as new after 2 turns; the next message starts in the new run.
    const third = await sendToSession(scripted.stack.client, sessionId, 'message C: what is my name?', settings);
    expect(third.turn).toBe(3);
    const secondRun = (await handle.describe()).runId;
    expect(secondRun).not.toBe(firstRun);
    // The first turn reached the third only through the carried summary, not verbatim.
    const thirdCall = (userMessagesOf('answer').at(-1) ?? []).join('\n');
    expect(thirdCall).toContain('Summary of the earlier conversation (turns 1-');
    expect(thirdCall).toContain('SUMMARY: the user is called Ada.');
    expect(thirdCall).not.toContain('user: message A: my name is Ada');
    // Every turn's model request stayed within the session's 450-token budget (by the workflow's estimator).
    for (const request of scripted.model.requests.filter((entry) => entry.ruleName === 'answer')) {
      const { messages } = request.body as { messages: ChatMessage[] };
      expect(estimateMessagesTokens(messages)).toBeLessThanOrEqual(450);
    }
    const view = await handle.query(sessionStatusQuery);
    expect(view).toMatchObject({ sessionId, turnCount: 3, runTurns: 1 });

    // No more messages: after the idle time the session ends with a final summary.
    const result = await handle.result();
    expect(result).toMatchObject({ sessionId, turns: 3, endedBecause: 'idle' });
    expect(result.summary).toMatch(/^SUMMARY: /);
  });

  test('an invalid posted message is dropped and counted, not fatal: the session answers the next messages; the client refuses one before signalling', async () => {
    const sessionId = `s-${randomUUID()}`;
    const first = await sendToSession(scripted.stack.client, sessionId, 'message 1', options({}));
    const handle = scripted.stack.client.workflow.getHandle<typeof sessionWorkflow>(sessionWorkflowId(sessionId));
    // Past the client's checks, straight to the workflow: an empty message, then one without a request id.
    await handle.signal(postMessageSignal, { requestId: 'bad-1', message: '   ' });
    await handle.signal(postMessageSignal, { message: 'message without id' } as unknown as SessionMessage);

    const second = await sendToSession(scripted.stack.client, sessionId, 'message 2', options({}));
    expect([first.turn, second.turn, second.answer]).toEqual([1, 2, 'answer to message 2']);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await handle.query(sessionStatusQuery)).toMatchObject({ turnCount: 2, droppedMessages: 2 });

    // The client checks a posted message before signalling: nothing reaches the session.
    const refused = await postToSession(scripted.stack.client, sessionId, '  ', options({})).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(InvalidSessionMessageError);
    expect(refused?.message).toBe('the message is empty');
    const signals = (await handle.fetchHistory()).events?.filter(
      (event) => event.workflowExecutionSignaledEventAttributes,
    );
    expect(signals).toHaveLength(2);

    // A valid posted message is answered in turn.
    const { requestId } = await postToSession(scripted.stack.client, sessionId, 'message 3', {
      ...options({}),
      requestId: 'p3',
    });
    expect(requestId).toBe('p3');
    let view = await handle.query(sessionStatusQuery);
    for (let attempt = 0; attempt < 100 && view.turnCount < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await handle.query(sessionStatusQuery);
    }
    expect(view.recent.at(-1)).toMatchObject({
      turn: 3,
      requestId: 'p3',
      answer: 'answer to message 3',
      status: 'completed',
    });
    await handle.terminate('test done');
  });

  test('a posted turn whose summarizer fails becomes a failed turn (no unhandled rejection); the session goes on', async () => {
    scripted.model.setScript({
      rules: [
        {
          name: 'summarizer-down',
          match: { system: '^You are the summarizer' },
          times: 1,
          reply: { content: 'unused' },
          fault: { status: 401, message: 'summarizer key revoked' },
        },
        ...SCRIPT.rules,
      ],
    });
    const sessionId = `s-${randomUUID()}`;
    // A tiny budget: the long first turn must be summarized before the second.
    const settings = options({ contextMaxTokens: 450 });
    await sendToSession(
      scripted.stack.client,
      sessionId,
      `message A: ${'a long detour about the weather '.repeat(30)}`,
      settings,
    );
    const handle = scripted.stack.client.workflow.getHandle<typeof sessionWorkflow>(sessionWorkflowId(sessionId));
    await postToSession(scripted.stack.client, sessionId, 'message B', { ...settings, requestId: 'posted-b' });
    const third = await sendToSession(scripted.stack.client, sessionId, 'message C', settings);

    expect([third.turn, third.answer, third.status]).toEqual([3, 'answer to message C', 'completed']);
    const posted = (await handle.query(sessionStatusQuery)).recent.find((turn) => turn.requestId === 'posted-b');
    expect(posted).toMatchObject({ turn: 2, status: 'failed' });
    expect(posted?.answer).toMatch(/^This turn failed: .*summarizer key revoked/);
    expect(scripted.model.requests.filter((request) => request.ruleName === 'summarizer-down')).toHaveLength(1);
    const failedTasks = (await handle.fetchHistory()).events?.filter(
      (event) => event.workflowTaskFailedEventAttributes,
    );
    expect(failedTasks).toEqual([]);
    await handle.terminate('test done');
  });

  test('a state of an older schema version (1), as continued-as-new by an older worker, is migrated: turns and summary carry on', async () => {
    const sessionId = `s-${randomUUID()}`;
    const earlierTurn = {
      turn: 7,
      requestId: 'old-7',
      message: 'message 7: I live in Lyon',
      answer: 'answer to message 7: I live in Lyon',
      status: 'completed',
      taskWorkflowId: `${sessionWorkflowId(sessionId)}/turn-7`,
    };
    const version1 = {
      schemaVersion: 1,
      turnCount: 7,
      summary: 'SUMMARY: the user is called Ada.',
      recent: [earlierTurn],
      answered: [earlierTurn],
    };
    await scripted.stack.client.workflow.start('sessionWorkflow', {
      taskQueue: scripted.stack.taskQueue,
      workflowId: sessionWorkflowId(sessionId),
      args: [{ sessionId, model: 'gpt-4.1-mini', state: version1 as unknown as SessionState }],
    });
    const reply = await sendToSession(scripted.stack.client, sessionId, 'message 8: where do I live?', options({}));
    expect(reply.turn).toBe(8);
    // The carried summary (through turn 6) and the recent turn 7 reached the model.
    const call = (userMessagesOf('answer').at(-1) ?? []).join('\n');
    expect(call).toContain('Summary of the earlier conversation (turns 1-6');
    expect(call).toContain('SUMMARY: the user is called Ada.');
    expect(call).toContain('user: message 7: I live in Lyon');
    // The same request id as a turn of the old state is answered from the carried answers.
    const again = await sendToSession(scripted.stack.client, sessionId, earlierTurn.message, {
      ...options({}),
      requestId: 'old-7',
    });
    expect(again).toEqual(earlierTurn);
    const handle = scripted.stack.client.workflow.getHandle<typeof sessionWorkflow>(sessionWorkflowId(sessionId));
    expect(await handle.query(sessionStatusQuery)).toMatchObject({ turnCount: 8, droppedMessages: 0 });
    await handle.terminate('test done');
  });

  test('chassis send --no-wait posts a message (a signal); the answer lands in the session, and the next send sees it', async () => {
    const sessionId = `s-${randomUUID()}`;
    const environment = { CHASSIS_TASK_QUEUE: scripted.stack.taskQueue };
    const posted = await chassis(['send', '--session', sessionId, 'message 1', '--no-wait', '--json'], environment);
    expect(posted.stderr).toBe('');
    expect(posted.code).toBe(0);
    expect(JSON.parse(posted.stdout)).toMatchObject({ sessionId, posted: true, requestId: expect.any(String) });

    const sent = await chassis(['send', '--session', sessionId, 'message 2', '--json'], environment);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ sessionId, turn: 2, answer: 'answer to message 2' });
    const handle = scripted.stack.client.workflow.getHandle<typeof sessionWorkflow>(sessionWorkflowId(sessionId));
    expect((await handle.query(sessionStatusQuery)).recent.map((turn) => [turn.turn, turn.answer])).toEqual([
      [1, 'answer to message 1'],
      [2, 'answer to message 2'],
    ]);
    await handle.terminate('test done');
  });
});
