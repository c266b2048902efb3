import { CliError } from './cli-error';
import { rootCauseMessage } from '../shared/root-cause';
import { isWorkflowNotFound } from './workflow-not-found';

/**
 * What a failed update to a task means to a CLI user, in one line: the workflow is not
 * running, or the task rejected the update (its validator's message). Anything else is
 * returned unchanged for the generic error path.
 */
export function updateFailureForCli(error: unknown, workflowId: string): unknown {
  if (isWorkflowNotFound(error)) {
    return new CliError(`no running workflow with id "${workflowId}"`);
  }
  if ((error as Error).name === 'WorkflowUpdateFailedError')
    return new CliError(`rejected: ${rootCauseMessage(error)}`);
  return error;
}
