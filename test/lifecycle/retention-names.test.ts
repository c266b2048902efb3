import { workflowOfIdempotencyKey } from '../../src/lifecycle/retention-sweep';
import { withAncestors } from '../../src/lifecycle/workflow-liveness';

describe('the workflows a stored document belongs to', () => {
  test('a child workflow id names its ancestors (<parent>/<suffix>)', () => {
    expect(withAncestors('task-1')).toEqual(['task-1']);
    expect(withAncestors('task-1/subtask-2')).toEqual(['task-1/subtask-2', 'task-1']);
    expect(withAncestors('session-a/turn-3/subtask-1')).toEqual([
      'session-a/turn-3/subtask-1',
      'session-a/turn-3',
      'session-a',
    ]);
    expect(withAncestors('/odd')).toEqual(['/odd']);
  });

  test("an effect-ledger entry's workflow comes from its idempotency key (<workflowId>/step-<n>/<callId>)", () => {
    expect(workflowOfIdempotencyKey('task-1/step-3/call_abc')).toBe('task-1');
    expect(workflowOfIdempotencyKey('task-1/subtask-2/step-10/call/with/slashes')).toBe('task-1/subtask-2');
    expect(workflowOfIdempotencyKey('a key from elsewhere')).toBeUndefined();
    expect(workflowOfIdempotencyKey('step-1/call')).toBeUndefined();
  });
});
