import type { CallRecord, EffectRecord } from '../../../src/testing/chaos/effects-file';
import { modelRequestsInFlight, openToolCalls, toolCallsInFlight } from '../../../src/testing/chaos/in-flight';

function call(label: string, at: string, pid = 100, workerPid = 10): CallRecord {
  return { at, tool: 'record_effect', idempotencyKey: null, arguments: { task: 't', label }, pid, workerPid };
}

function effect(label: string, at: string, pid = 100): EffectRecord {
  return {
    at,
    tool: 'record_effect',
    idempotencyKey: null,
    arguments: { task: 't', label },
    output: 'ok',
    pid,
    workerPid: 10,
  };
}

describe('tool calls in flight', () => {
  const calls = [
    call('done', '2026-01-01T00:00:01.000Z'),
    call('running', '2026-01-01T00:00:02.000Z'),
    call('other-worker', '2026-01-01T00:00:02.000Z', 200, 20),
    { ...call('status', '2026-01-01T00:00:02.000Z'), tool: 'effect_status' },
    // Called again after an earlier execution: the earlier effect does not close the new call.
    call('again', '2026-01-01T00:00:05.000Z'),
  ];
  const effects = [effect('done', '2026-01-01T00:00:02.500Z'), effect('again', '2026-01-01T00:00:03.000Z')];

  it('are record_effect calls whose server has written no effect since they started', () => {
    expect(openToolCalls(calls, effects).map((open) => open.arguments.label)).toEqual([
      'running',
      'other-worker',
      'again',
    ]);
  });

  it('belong to the worker that started the MCP server', () => {
    expect(toolCallsInFlight(calls, effects, 10)).toEqual(['running', 'again']);
    expect(toolCallsInFlight(calls, effects, 20)).toEqual(['other-worker']);
  });
});

describe('modelRequestsInFlight', () => {
  const now = Date.parse('2026-01-01T00:01:00.000Z');
  const request = (
    label: string,
    receivedAt: string,
    status: number | null,
    ruleName: string | null = 'r',
    path = '/v1/chat/completions',
  ) => ({
    path,
    receivedAt,
    status,
    ruleName,
    body: { messages: [{ role: 'user', content: `Chaos task ${label}` }] },
  });
  const options = {
    since: Date.parse('2026-01-01T00:00:30.000Z'),
    now,
    clientTimeoutMs: 10_000,
    labels: ['t-01', 't-02'],
  };

  it('names the tasks of unanswered requests sent by the current worker process within the client timeout', () => {
    const requests = [
      request('t-01', '2026-01-01T00:00:59.000Z', null),
      request('t-02', '2026-01-01T00:00:58.000Z', 200),
      request('t-02', '2026-01-01T00:00:20.000Z', null), // an earlier process's, never answered
      request('t-02', '2026-01-01T00:00:45.000Z', null), // older than the client's timeout
      request('t-02', '2026-01-01T00:00:59.500Z', null, 'storm-timeout'),
    ];
    expect(modelRequestsInFlight(requests, options)).toEqual(['t-01']);
  });

  it('counts embeddings requests too, unless asked for chat completions only', () => {
    const requests = [request('t-02', '2026-01-01T00:00:59.000Z', null, null, '/v1/embeddings')];
    expect(modelRequestsInFlight(requests, options)).toEqual(['t-02']);
    expect(modelRequestsInFlight(requests, { ...options, chatOnly: true })).toEqual([]);
  });
});
