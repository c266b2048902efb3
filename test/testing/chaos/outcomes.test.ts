import {
  accountTasks,
  lastToolObservation,
  unknownOutcomesOf,
  type ObservedModelRequest,
} from '../../../src/testing/chaos/outcomes';
import type { EffectRecord } from '../../../src/testing/chaos/effects-file';

const TOOL = 'chaos__record_effect';

/** A step request of task `label` whose last tool message answers a record_effect call with `toolContent`. */
function stepRequest(label: string, receivedAt: string, toolContent?: string): ObservedModelRequest {
  const messages: unknown[] = [
    { role: 'system', content: 'You are Chassis.' },
    { role: 'user', content: `Chaos task ${label}: record it` },
  ];
  if (toolContent !== undefined) {
    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1_0', type: 'function', function: { name: TOOL, arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1_0', content: toolContent },
    );
  }
  return { path: '/v1/chat/completions', receivedAt, body: { model: 'm', messages } };
}

function effect(label: string): EffectRecord {
  return {
    at: '2026-01-01T00:00:00.000Z',
    tool: 'record_effect',
    idempotencyKey: null,
    arguments: { task: 'unit', label },
    output: 'ok',
    pid: 1,
    workerPid: 2,
  };
}

const failedObservation = JSON.stringify({ error: 'Tool.Transient', message: 'kept failing' });

describe('lastToolObservation', () => {
  it('is none before the tool answered, and the latest answer of that task afterwards', () => {
    const requests = [
      stepRequest('s-01-x', '2026-01-01T00:00:01.000Z'),
      stepRequest('s-01-x', '2026-01-01T00:00:03.000Z', 'effect "s-01-x" recorded'),
      stepRequest('s-01-x', '2026-01-01T00:00:02.000Z', failedObservation),
      stepRequest('s-02-x', '2026-01-01T00:00:04.000Z', failedObservation),
    ];
    expect(lastToolObservation(requests.slice(0, 1), 's-01-x')).toEqual({ kind: 'none' });
    expect(lastToolObservation(requests, 's-01-x')).toEqual({ kind: 'ok', text: 'effect "s-01-x" recorded' });
    expect(lastToolObservation(requests, 's-02-x')).toEqual({ kind: 'error', type: 'Tool.Transient' });
  });

  it('ignores embeddings requests and tool messages of other tools', () => {
    const other = stepRequest('s-01-x', '2026-01-01T00:00:01.000Z', failedObservation);
    const body = other.body as { messages: { tool_calls?: { function: { name: string } }[] }[] };
    const call = body.messages[2]?.tool_calls?.[0];
    if (call !== undefined) call.function.name = 'calculator';
    const embeddings = { path: '/v1/embeddings', receivedAt: '2026-01-01T00:00:02.000Z', body: { input: 's-01-x' } };
    expect(lastToolObservation([other, embeddings], 's-01-x')).toEqual({ kind: 'none' });
  });
});

describe('accountTasks', () => {
  it('calls a completed task without its effect and without an unknown outcome lost', () => {
    const [outcome] = accountTasks({
      results: [{ label: 's-01-x', status: 'completed', unknownReported: 0 }],
      effects: [],
      requests: [stepRequest('s-01-x', '2026-01-01T00:00:01.000Z', failedObservation)],
    });
    expect(outcome).toMatchObject({
      executions: 0,
      lost: true,
      misreported: false,
      duplicated: false,
      modelRequests: 1,
    });
  });

  it('does not call it lost when the task reported the outcome unknown, or when the task failed', () => {
    const outcomes = accountTasks({
      results: [
        { label: 'unknown', status: 'completed', unknownReported: 1 },
        { label: 'failed', status: 'failed', unknownReported: 0, error: 'boom' },
      ],
      effects: [],
      requests: [],
    });
    expect(outcomes.map((outcome) => outcome.lost)).toEqual([false, false]);
  });

  it('flags an effect that ran while the model was told the call failed, unless the task reported it unknown', () => {
    const outcomes = accountTasks({
      results: [
        { label: 's-01-x', status: 'completed', unknownReported: 0 },
        { label: 's-02-x', status: 'completed', unknownReported: 1 },
        { label: 's-03-x', status: 'completed', unknownReported: 0 },
      ],
      effects: [effect('s-01-x'), effect('s-02-x'), effect('s-03-x'), effect('s-03-x')],
      requests: [
        stepRequest('s-01-x', '2026-01-01T00:00:01.000Z', failedObservation),
        stepRequest('s-02-x', '2026-01-01T00:00:01.000Z', failedObservation),
        stepRequest('s-03-x', '2026-01-01T00:00:01.000Z', 'effect "s-03-x" recorded'),
      ],
    });
    expect(outcomes.map((outcome) => [outcome.label, outcome.misreported, outcome.duplicated])).toEqual([
      ['s-01-x', true, false],
      ['s-02-x', false, false],
      ['s-03-x', false, true],
    ]);
  });
});

describe('unknownOutcomesOf', () => {
  it('reads a list or a count, and 0 when the result has no such field', () => {
    expect(unknownOutcomesOf({ status: 'completed', unknownOutcomes: [{ tool: 'x' }, { tool: 'y' }] })).toBe(2);
    expect(unknownOutcomesOf({ unknownOutcomes: 3 })).toBe(3);
    expect(unknownOutcomesOf({ status: 'completed' })).toBe(0);
    expect(unknownOutcomesOf(null)).toBe(0);
  });
});
