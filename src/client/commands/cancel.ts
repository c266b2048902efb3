import type { ChassisConfig } from '../../config/load-config';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { note } from '../output';
import { isWorkflowNotFound } from '../workflow-not-found';

/** `chassis cancel <workflowId>`: asks a task to stop; its children and running activities are cancelled with it. */
export async function cancelCommand(config: ChassisConfig, workflowId: string): Promise<void> {
  const session = await connectTemporal(config);
  try {
    await session.client.workflow.getHandle(workflowId).cancel();
    note(`cancellation requested for ${workflowId}; the task records a cancelled result`);
  } catch (error) {
    if (isWorkflowNotFound(error)) {
      throw new CliError(`no running workflow with id "${workflowId}"`);
    }
    throw error;
  } finally {
    await session.close();
  }
}
