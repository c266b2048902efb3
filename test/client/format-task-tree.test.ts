import { emptyUsage } from '../../src/contracts/usage';
import { formatTaskTree } from '../../src/client/format-task-tree';

describe('formatTaskTree', () => {
  test('draws subtasks with their status, dependencies, cost and errors', () => {
    const tree = formatTaskTree({
      workflowId: 'task-1',
      executionStatus: 'RUNNING',
      phase: 'delegating',
      plan: {
        mode: 'decompose',
        subtasks: [
          { id: 'a', title: 'A', instructions: 'a', dependsOn: [], tools: [] },
          { id: 'bb', title: 'B', instructions: 'b', dependsOn: [], tools: [] },
          { id: 'c', title: 'C', instructions: 'c', dependsOn: ['a', 'bb'], tools: [] },
        ],
      },
      subtasks: [
        {
          id: 'a',
          title: 'A',
          workflowId: 'task-1/a',
          status: 'completed',
          usage: { ...emptyUsage(), modelCalls: 1, costUsd: 0.0012 },
        },
        { id: 'bb', title: 'B', workflowId: 'task-1/bb', status: 'failed', error: 'HTTP 401', usage: emptyUsage() },
        { id: 'c', title: 'C', workflowId: 'task-1/c', status: 'skipped', usage: emptyUsage() },
      ],
      usage: { ...emptyUsage(), modelCalls: 2, inputTokens: 100, outputTokens: 20, costUsd: 0.002 },
      uiUrl: 'http://ui/task-1',
    });
    expect(tree.split('\n')).toEqual([
      'task-1  RUNNING, phase delegating',
      '  http://ui/task-1',
      '  plan: 3 subtasks',
      '  ├─ a   completed  ($0.001200)',
      '  ├─ bb  failed  (HTTP 401)',
      '  └─ c   skipped  (after a, bb)',
      '  usage: 2 model calls, 0 tool calls, 120 tokens, $0.002000',
    ]);
  });

  test('a finished direct task shows its answer', () => {
    const tree = formatTaskTree({
      workflowId: 't',
      executionStatus: 'COMPLETED',
      taskStatus: 'completed',
      phase: 'done',
      plan: { mode: 'direct' },
      subtasks: [],
      answer: '42',
      uiUrl: 'u',
    });
    expect(tree).toBe('t  COMPLETED, completed\n  u\n  plan: direct (one agent loop)\n  answer: 42');
  });
});
