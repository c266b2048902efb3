import { buildListQuery, parseSince, parseStatuses, queryLiteral } from '../../../src/client/replay/list-query';

describe('chassis list: the visibility query', () => {
  test('agent tasks only, by default', () => {
    expect(buildListQuery({})).toBe("WorkflowType = 'agentTaskWorkflow'");
  });

  test('status, session, task queue and start time are ANDed; several statuses are ORed', () => {
    expect(
      buildListQuery({
        statuses: ['failed', 'timed_out'],
        session: 's-1',
        taskQueue: 'q',
        since: new Date('2026-01-02T03:04:05.000Z'),
      }),
    ).toBe(
      "WorkflowType = 'agentTaskWorkflow' AND ((ChassisStatus = 'failed' OR ExecutionStatus = 'Failed') OR ExecutionStatus = 'TimedOut')" +
        " AND ChassisSession = 's-1' AND TaskQueue = 'q' AND StartTime >= '2026-01-02T03:04:05.000Z'",
    );
    expect(buildListQuery({ statuses: ['completed'] })).toBe(
      "WorkflowType = 'agentTaskWorkflow' AND ChassisStatus = 'completed'",
    );
  });

  test('values are escaped so they cannot end the literal', () => {
    expect(queryLiteral("o'brien' OR 1=1 --")).toBe("'o\\'brien\\' OR 1=1 --'");
    expect(queryLiteral('a\\b')).toBe("'a\\\\b'");
    expect(() => queryLiteral('line\nbreak')).toThrow(/control characters/);
  });

  test('--status and --since parsing', () => {
    expect(parseStatuses('failed, timed-out')).toEqual(['failed', 'timed_out']);
    expect(() => parseStatuses('exploded')).toThrow(/use one or more of running, completed/);
    const now = new Date('2026-01-02T00:00:00.000Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-01-01T23:30:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2025-12-26T00:00:00.000Z');
    expect(parseSince('2025-12-31', now).toISOString()).toBe('2025-12-31T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/use a duration/);
  });
});
