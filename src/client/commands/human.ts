import type { ChassisConfig } from '../../config/load-config';
import { answerQuestionUpdate, decideApprovalUpdate } from '../../contracts/human';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { updateFailureForCli } from '../update-errors';

/** The person's side of approvals and questions: `approve`, `reject`, `answer`. */
export type HumanAction =
  | { kind: 'approve'; callId: string; reason?: string }
  | { kind: 'reject'; callId: string; reason?: string }
  | { kind: 'answer'; callId: string; answer: string };

/**
 * `chassis approve|reject|answer <workflowId> <callId> …`: delivers a decision to a task
 * waiting for it (in a new terminal, days later if need be) and waits until it is accepted.
 */
export async function humanCommand(config: ChassisConfig, workflowId: string, action: HumanAction): Promise<void> {
  if (action.kind === 'answer' && action.answer.trim() === '') throw new CliError('the answer is empty');
  const session = await connectTemporal(config);
  try {
    const handle = session.client.workflow.getHandle(workflowId);
    if (action.kind === 'answer') {
      await handle.executeUpdate(answerQuestionUpdate, { args: [{ callId: action.callId, answer: action.answer }] });
    } else {
      await handle.executeUpdate(decideApprovalUpdate, {
        args: [{ callId: action.callId, approved: action.kind === 'approve', reason: action.reason }],
      });
    }
    process.stdout.write(
      `${action.kind === 'answer' ? 'answered' : `${action.kind}d`} ${action.callId} on ${workflowId}\n`,
    );
  } catch (error) {
    throw updateFailureForCli(error, workflowId);
  } finally {
    await session.close();
  }
}
