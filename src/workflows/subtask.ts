import type { SubtaskInput, SubtaskResult } from '../contracts/agent-task';
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
  const state = new AgentTaskState(input.subtask.title, input.maxSteps, input.budget, Date.now(), () => Date.now());
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
    },
    state,
  );
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
