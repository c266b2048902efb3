import { randomUUID } from 'node:crypto';
import type { ChassisConfig } from '../../config/load-config';
import { addInstructionUpdate } from '../../contracts/agent-task';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { updateFailureForCli } from '../update-errors';

/** `chassis instruct <workflowId> "<text>"`: adds an instruction to a running task and waits for it to be accepted. */
export async function instructCommand(config: ChassisConfig, workflowId: string, instruction: string): Promise<void> {
  if (instruction.trim() === '') throw new CliError('the instruction is empty');
  const session = await connectTemporal(config);
  try {
    const accepted = await session.client.workflow
      .getHandle(workflowId)
      .executeUpdate(addInstructionUpdate, { args: [{ requestId: randomUUID(), instruction }] });
    process.stdout.write(
      `accepted (${accepted.instructions} instruction${accepted.instructions === 1 ? '' : 's'} so far)\n`,
    );
  } catch (error) {
    throw updateFailureForCli(error, workflowId);
  } finally {
    await session.close();
  }
}
