import { z } from 'zod';
import { defineTool } from '../tool';
import { PermanentToolError } from '../tool-errors';

/**
 * Lets the agent ask the person it works for. The workflow answers it (policy
 * `answeredByPerson`): the task waits durably — across worker restarts and days — until
 * someone runs `chassis answer <workflowId> <callId> "<answer>"`. A worker never runs it.
 */
export const askUserTool = defineTool({
  name: 'ask_user',
  description:
    'Asks the user a question and waits for their answer. Use it only when the task cannot go on without information ' +
    'or a choice that only the user has (a preference, a missing detail, a decision). Returns the answer as text. ' +
    'The answer may take hours; ask one clear question at a time.',
  input: z.object({ question: z.string().min(1).max(2000).describe('The question, in one or two sentences') }),
  example: { question: 'Which city should the trip start from?' },
  policy: { answeredByPerson: true, idempotent: true },
  async execute() {
    throw new PermanentToolError('ask_user is answered by a person through the workflow, never run by a worker');
  },
});
