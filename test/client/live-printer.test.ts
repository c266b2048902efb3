import type { PublishedTaskEvent } from '../../src/contracts/task-events';
import { LivePrinter } from '../../src/client/live-printer';

const TASK = 'task-demo-1';
let sequence = 0;
const envelope = (workflowId = TASK) => ({ sequence: ++sequence, workflowId, at: '2030-01-01T00:00:00.000Z' });

function printer() {
  const output: string[] = [];
  const live = new LivePrinter({ text: (text) => output.push(text), line: (line) => output.push(`<${line}>`) });
  return { live, output, shown: () => output.join('') };
}

const step = (callId: string, label: string, attempt = 1, workflowId = TASK): PublishedTaskEvent => ({
  ...envelope(workflowId),
  type: 'step',
  callId,
  attempt,
  label,
  model: 'gpt-4.1-mini',
  tier: 'small',
});
const token = (callId: string, text: string, attempt = 1, workflowId = TASK): PublishedTaskEvent => ({
  ...envelope(workflowId),
  type: 'token',
  callId,
  attempt,
  text,
});
const answer = (callId: string, text: string, attempt = 1): PublishedTaskEvent => ({
  ...envelope(),
  type: 'answer',
  callId,
  attempt,
  text,
});

describe('LivePrinter', () => {
  test('the answer streams as text, the steps and tools as lines, each line after the text ends', () => {
    const { live, shown } = printer();
    for (const event of [
      step('r/1', 'plan', 1),
      token('r/1', '{"mode":"direct"}'),
      step('r/2', 'step 1'),
      {
        ...envelope(),
        type: 'tool',
        phase: 'call',
        callId: 'r/2',
        attempt: 1,
        toolCallId: 'c1',
        name: 'calculator',
        arguments: '{"expression":"2340 * 0.175"}',
      },
      {
        ...envelope(),
        type: 'tool',
        phase: 'result',
        toolCallId: 'c1',
        name: 'calculator',
        attempt: 1,
        ok: true,
        output: '409.5',
      },
      step('r/3', 'step 2'),
      token('r/3', '17.5% of 2,340 '),
      token('r/3', 'is 409.5.'),
      answer('r/3', '17.5% of 2,340 is 409.5.'),
    ] as PublishedTaskEvent[])
      live.handle(event);
    live.finish('17.5% of 2,340 is 409.5.');
    expect(shown()).toBe(
      [
        '<  · plan · gpt-4.1-mini (small)>',
        '<  · step 1 · gpt-4.1-mini (small)>',
        '<  · calculator {"expression":"2340 * 0.175"}>',
        '<  · calculator → 409.5>',
        '<  · step 2 · gpt-4.1-mini (small)>',
        '17.5% of 2,340 is 409.5.\n',
      ].join(''),
    );
  });

  test("a subtask's steps are tagged and its tokens stay off the answer", () => {
    const { live, shown } = printer();
    const subtask = `${TASK}/research`;
    live.handle({ ...envelope(subtask), type: 'subtask', phase: 'started', subtaskId: 'research' });
    live.handle(step('s/1', 'step 1', 1, subtask));
    live.handle(token('s/1', 'part of the research', 1, subtask));
    live.handle({ ...envelope(subtask), type: 'subtask', phase: 'finished', subtaskId: 'research', answer: 'x' });
    live.handle({
      ...envelope(subtask),
      type: 'tool',
      phase: 'result',
      toolCallId: 'c',
      name: 'http_fetch',
      attempt: 1,
      ok: false,
      error: { type: 'Tool.Transient', message: 'timed out' },
    });
    expect(shown()).toBe(
      '<  · subtask research started><  · [research] step 1 · gpt-4.1-mini (small)><  · subtask research finished><  ✗ [research] http_fetch failed: timed out>',
    );
  });

  test('a retried call says so and starts its answer over; late tokens of the old attempt are dropped', () => {
    const { live, shown } = printer();
    live.handle(step('r/2', 'step 1', 1));
    live.handle(token('r/2', 'The answer is', 1));
    live.handle(step('r/2', 'step 1', 2));
    live.handle(token('r/2', ' forty', 1));
    live.handle(token('r/2', 'The answer is 42.', 2));
    live.handle(answer('r/2', 'The answer is 42.', 2));
    live.finish('The answer is 42.');
    expect(shown()).toBe(
      '<  · step 1 · gpt-4.1-mini (small)>The answer is\n<  ↻ step 1 retried (attempt 2): its answer starts over>The answer is 42.\n',
    );
  });

  test("the task's answer is printed whole when the stream did not show exactly it", () => {
    const { live, shown } = printer();
    live.handle(step('r/2', 'step 1'));
    live.handle(token('r/2', 'Partial'));
    live.handle(answer('r/2', 'Partial'));
    live.finish('Stopped early: the token budget ran out. What I have so far: Partial');
    expect(shown()).toBe(
      "<  · step 1 · gpt-4.1-mini (small)>Partial\n<  (the task's answer:)>Stopped early: the token budget ran out. What I have so far: Partial\n",
    );
    const quiet = printer();
    quiet.live.finish('An answer that was never streamed.');
    expect(quiet.shown()).toBe('An answer that was never streamed.\n');
  });
});
