import {
  formatUsageReport,
  parseSince,
  summarizeTasks,
  usageQuery,
  type ClosedTask,
  type UsageReport,
} from '../../src/client/commands/usage';

describe('parseSince', () => {
  test.each([
    ['30m', 30 * 60_000],
    ['24h', 24 * 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
    [' 1H ', 3_600_000],
  ])('%s', (text, milliseconds) => {
    expect(parseSince(text)).toBe(milliseconds);
  });

  test.each(['', '24', 'h', '1.5h', '-2d', '0h', '3 days', 'yesterday'])('rejects %j with one clear line', (text) => {
    expect(() => parseSince(text)).toThrow(
      expect.objectContaining({
        name: 'CliError',
        exitCode: 2,
        message: `--since ${JSON.stringify(text)} is not a duration: give a whole number and a unit (m, h, d or w), e.g. 30m, 24h or 7d`,
      }),
    );
  });
});

test('usageQuery selects agent tasks closed after the start, optionally on one task queue', () => {
  const since = new Date('2026-01-02T03:04:05.000Z');
  expect(usageQuery(since)).toBe('WorkflowType = "agentTaskWorkflow" AND CloseTime > "2026-01-02T03:04:05.000Z"');
  expect(usageQuery(since, 'test-q')).toBe(
    'WorkflowType = "agentTaskWorkflow" AND CloseTime > "2026-01-02T03:04:05.000Z" AND TaskQueue = "test-q"',
  );
});

describe('formatUsageReport', () => {
  const line = (calls: number, costUsd: number) => ({
    calls,
    inputTokens: 1_500 * calls,
    cachedInputTokens: 0,
    outputTokens: 100 * calls,
    costUsd,
  });
  const report: UsageReport = {
    since: '2026-01-01T00:00:00.000Z',
    until: '2026-01-02T00:00:00.000Z',
    query: 'q',
    totals: { tasks: 3, tokens: 4_800, costUsd: 0.0042 },
    byStatus: {
      completed: { tasks: 2, tokens: 4_800, costUsd: 0.0042 },
      failed: { tasks: 1, tokens: 0, costUsd: 0 },
    },
    nestedTasks: 0,
    byModel: { 'gpt-4.1-mini': line(2, 0.0012), 'gpt-4.1': line(1, 0.003) },
    byTier: { small: line(2, 0.0012), large: line(1, 0.003) },
    breakdown: { fromTasks: 1, withoutSplit: 1, notRead: 0 },
  };

  test('tables by status, model and tier, with a note on how much of the split is known', () => {
    const text = formatUsageReport(report, '24h');
    expect(text).toContain('Agent tasks closed in the last 24h (since 2026-01-01T00:00:00.000Z)');
    expect(text).toMatch(/completed\s+2\s+4,800\s+0\.004200/);
    expect(text).toMatch(/failed\s+1\s+0\s+0\.000000/);
    expect(text).toMatch(/total\s+3\s+4,800\s+0\.004200/);
    // Most expensive first.
    expect(text.indexOf('gpt-4.1 ')).toBeLessThan(text.indexOf('gpt-4.1-mini'));
    expect(text).toMatch(/large\s+1\s+1,500\s+0\s+100\s+0\.003000/);
    expect(text).toContain('split by model and tier from 1 of 2 completed tasks; 1 had none in their result');
  });

  test('an empty window says so', () => {
    const empty = { ...report, totals: { tasks: 0, tokens: 0, costUsd: 0 }, byStatus: {}, byModel: {}, byTier: {} };
    expect(formatUsageReport(empty, '30m')).toBe(
      'No agent tasks closed in the last 30m (since 2026-01-01T00:00:00.000Z).\n',
    );
  });
});

describe('summarizeTasks', () => {
  const task = (workflowId: string, extra: Partial<ClosedTask> = {}): ClosedTask => ({
    workflowId,
    runId: `${workflowId}-run`,
    executionStatus: 'COMPLETED',
    taskStatus: 'completed',
    tokens: 100,
    costUsd: 0.001,
    ...extra,
  });

  test('by status: the task status for completed runs, the execution status otherwise', () => {
    const summary = summarizeTasks([
      task('a'),
      task('b', { taskStatus: 'budget_exceeded', tokens: 50, costUsd: 0.0005 }),
      task('c', { executionStatus: 'FAILED', taskStatus: 'failed' }),
      // A terminated task never published its end: its ChassisStatus still says running.
      task('d', { executionStatus: 'TERMINATED', taskStatus: 'running' }),
      task('e', { taskStatus: undefined }),
    ]);
    expect(summary.totals).toEqual({ tasks: 5, tokens: 450, costUsd: 0.0045 });
    expect(Object.keys(summary.byStatus).sort()).toEqual(['budget_exceeded', 'completed', 'failed', 'terminated']);
    expect(summary.byStatus.completed).toEqual({ tasks: 2, tokens: 200, costUsd: 0.002 });
  });

  test('a nested task whose parent is listed is left out: the parent already includes its usage', () => {
    const summary = summarizeTasks([
      task('root', { tokens: 300, costUsd: 0.003 }),
      task('root/s1', { parentWorkflowId: 'root' }),
      // Its parent is still running (not listed): counted on its own for now.
      task('other/s1', { parentWorkflowId: 'other' }),
    ]);
    expect(summary.nested).toBe(1);
    expect(summary.counted.map((counted) => counted.workflowId)).toEqual(['root', 'other/s1']);
    expect(summary.totals).toEqual({ tasks: 2, tokens: 400, costUsd: 0.004 });
  });
});
