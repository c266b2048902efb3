import { WorkflowNotFoundError, WorkflowFailedError } from '@temporalio/client';
import { isWorkflowNotFound } from '../../src/client/workflow-not-found';

describe('isWorkflowNotFound', () => {
  test("the SDK's error, and the same error from another copy of the SDK (by name)", () => {
    expect(isWorkflowNotFound(new WorkflowNotFoundError('not found', 'task-1', undefined))).toBe(true);
    const fromAnotherCopy = Object.assign(new Error('workflow not found'), { name: 'WorkflowNotFoundError' });
    expect(isWorkflowNotFound(fromAnotherCopy)).toBe(true);
  });

  test('any other failure is not a missing workflow', () => {
    expect(isWorkflowNotFound(new WorkflowFailedError('failed', undefined, 'NON_RETRYABLE_FAILURE'))).toBe(false);
    expect(isWorkflowNotFound(new Error('connection refused'))).toBe(false);
    expect(isWorkflowNotFound(undefined)).toBe(false);
    expect(isWorkflowNotFound('WorkflowNotFoundError')).toBe(false);
  });
});
