import { WorkflowNotFoundError } from '@temporalio/client';

/**
 * True when a client call failed because no workflow has the id: the SDK's
 * `WorkflowNotFoundError`, matched by name as well, because Jest's per-file module
 * registry (or a second copy of the SDK) breaks `instanceof` on the SDK's errors.
 */
export function isWorkflowNotFound(error: unknown): boolean {
  return (
    error instanceof WorkflowNotFoundError ||
    (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'WorkflowNotFoundError')
  );
}
