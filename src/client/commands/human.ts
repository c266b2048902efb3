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
 * `chassis approve|reject|answer <workflowId> <call> …`: delivers a decision to a task
 * waiting for it (in a new terminal, days later if need be) and waits until it is accepted.
 * `<call>` is the call key `chassis status` shows (`2/1`: step 2, first call); the provider's
 * tool-call id is accepted while exactly one call of the task has had it.
 */
export async function humanCommand(config: ChassisConfig, workflowId: string, action: HumanAction): Promise<void> {
  if (action.kind === 'answer' && action.answer.trim() === '') throw new CliError('the answer is empty');
  const session = await connectTemporal(config);
  try {
    const handle = session.client.workflow.getHandle(workflowId);
    const accepted =
      action.kind === 'answer'
        ? await handle.executeUpdate(answerQuestionUpdate, {
            args: [{ callId: action.callId, answer: action.answer }],
          })
        : await handle.executeUpdate(decideApprovalUpdate, {
            args: [{ callId: action.callId, approved: action.kind === 'approve', reason: action.reason }],
          });
    // Say which call it went to: a provider id is resolved by the task to one call key.
    const call = accepted.callKey ?? action.callId;
    const tool = accepted.tool === undefined ? '' : ` (${accepted.tool})`;
    const done = { approve: 'approved', reject: 'rejected', answer: 'answered' }[action.kind];
    process.stdout.write(`${done} call ${call}${tool} on ${workflowId}\n`);
  } catch (error) {
    throw updateFailureForCli(error, workflowId);
  } finally {
    await session.close();
  }
}
