import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { addInstructionUpdate, agentTaskStatusQuery } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { AgentTaskState } from './agent-task-state';

const MAX_INSTRUCTION_CHARS = 4_000;

/** Installs the status query, the add-instruction update and the approval/answer updates over a task's state. */
export function installTaskHandlers(state: AgentTaskState): void {
  setHandler(agentTaskStatusQuery, () => state.view());
  state.gate.install();
  setHandler(
    addInstructionUpdate,
    (request) => {
      state.addInstruction(request);
      return { accepted: true, instructions: state.instructions.length };
    },
    {
      // Cheap rejections happen before anything is written to history.
      validator: (request) => {
        if (typeof request?.instruction !== 'string' || request.instruction.trim() === '') {
          throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message: 'the instruction is empty' });
        }
        if (request.instruction.length > MAX_INSTRUCTION_CHARS) {
          throw ApplicationFailure.create({
            type: FailureType.TaskInvalidInput,
            message: `the instruction is longer than ${MAX_INSTRUCTION_CHARS} characters`,
          });
        }
        if (state.phase === 'done') {
          throw ApplicationFailure.create({
            type: FailureType.TaskInvalidInput,
            message: 'the task has already finished',
          });
        }
      },
    },
  );
}
