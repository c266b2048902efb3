import { allHandlersFinished, ApplicationFailure, condition, continueAsNew } from '@temporalio/workflow';
import { TASK_CONTINUATION_SCHEMA_VERSION, type SubtaskInput, type SubtaskResult } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import { runAgentLoop } from './agent-loop';
import { AgentTaskState } from './agent-task-state';
import { publishStatus } from './publish-status';
import { DEFAULT_SYSTEM_PROMPT } from './prompts';
import { installTaskHandlers } from './task-handlers';

function subtaskPrompt(input: SubtaskInput): string {
  const parts = [
    `You are working on one part of a larger task.\nOverall task: ${input.goal}`,
    `Your part: ${input.subtask.title}\n${input.subtask.instructions}`,
  ];
  for (const dependency of input.dependencyResults)
    parts.push(`Result of "${dependency.title}":\n${dependency.answer}`);
  if (input.instructions.length > 0)
    parts.push(`Additional instructions:\n${input.instructions.map((line) => `- ${line}`).join('\n')}`);
  parts.push('Answer only your part.');
  return parts.join('\n\n');
}

/** One planned subtask: the agent loop with the tools and budget the plan gave it. */
export async function subtaskWorkflow(input: SubtaskInput): Promise<SubtaskResult> {
  const continued = input.continued;
  if (continued !== undefined && continued.schemaVersion !== TASK_CONTINUATION_SCHEMA_VERSION) {
    throw ApplicationFailure.create({
      type: FailureType.TaskInvalidInput,
      message: `the subtask continues from schema version ${String(continued.schemaVersion)}, this worker reads ${TASK_CONTINUATION_SCHEMA_VERSION}: run it on a worker of the version that continued it`,
      nonRetryable: true,
    });
  }
  const startedAt = continued?.state.startedAt ?? Date.now();
  const state = new AgentTaskState(input.subtask.title, input.maxSteps, input.budget, startedAt, () => Date.now());
  if (continued !== undefined) state.restore(continued.state);
  installTaskHandlers(state);
  const outcome = await runAgentLoop(
    {
      selection: input.selection,
      hint: input.subtask.tier,
      tools: input.tools,
      maxSteps: input.maxSteps,
      messages: [
        { role: 'system', content: DEFAULT_SYSTEM_PROMPT },
        { role: 'user', content: subtaskPrompt(input) },
      ],
      goal: `${input.subtask.title}: ${input.subtask.instructions}`,
      resume: continued?.loop,
      stepsPerRun: input.stepsPerRun,
      contextMaxTokens: input.contextMaxTokens,
    },
    state,
  );
  const carry = outcome.carry;
  if (carry !== undefined) {
    // A fresh history for a long subtask; the parent's child handle follows the new run.
    await condition(allHandlersFinished);
    return continueAsNew<typeof subtaskWorkflow>({
      ...input,
      continued: {
        schemaVersion: TASK_CONTINUATION_SCHEMA_VERSION,
        runs: (continued?.runs ?? 0) + 1,
        loop: carry,
        state: state.carry(),
      },
    });
  }
  state.phase = 'done';
  const status = outcome.failure !== undefined ? 'failed' : outcome.finished ? 'completed' : 'budget_exceeded';
  publishStatus(status, state.usage);
  return {
    status,
    answer: outcome.finished ? outcome.answer : `Stopped: ${outcome.stopReason}. ${outcome.answer}`.trim(),
    ...(outcome.finished ? {} : { stopReason: outcome.stopReason }),
    ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
    steps: state.steps,
    usage: state.usage,
    // The parent adds these to its own list and note.
    ...(state.unknownOutcomes.length > 0 ? { unknownOutcomes: [...state.unknownOutcomes] } : {}),
  };
}
