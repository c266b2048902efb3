import type { AgentTool } from '../../contracts/tools';

/** The planner's system prompt. The scripted test model recognises it by its first words. */
export function plannerSystemPrompt(options: {
  tools: AgentTool[];
  maxSubtasks: number;
  allowNested: boolean;
}): string {
  const toolLines = options.tools.map((tool) => `- ${tool.name}: ${tool.description.split('. ')[0]}`).join('\n');
  return [
    'You are the planner of an agent harness.',
    'Decide whether the task is best answered directly by one agent with tools ("direct"),',
    `or split into at most ${options.maxSubtasks} subtasks that other agents run ("decompose").`,
    'Split only when parts are truly separate (independent lookups or analyses); keep simple tasks direct.',
    'Each subtask has a short id (lowercase, dashes), a title, self-contained instructions,',
    'dependsOn (ids whose results it needs; independent subtasks run in parallel), the tools it may use,',
    'and optionally tier "small" (simple lookups) or "large" (hard reasoning).',
    options.allowNested ? 'A subtask that is itself large may set decompose: true.' : 'Do not set decompose.',
    'Answer with JSON only, matching the schema.',
    `Available tools:\n${toolLines || '(none)'}`,
  ].join('\n');
}

/** Sent back to the planner when its plan was invalid. */
export function planCorrectionPrompt(problems: string[]): string {
  return `That plan is invalid:\n${problems.map((problem) => `- ${problem}`).join('\n')}\nAnswer again with a corrected plan (JSON only).`;
}

/** The synthesizer's system prompt. */
export const SYNTHESIS_SYSTEM_PROMPT = [
  'You are the synthesizer of an agent harness.',
  'Combine the results of the subtasks into one answer to the original task.',
  'Use only what the results say. If a part is missing or failed, say plainly which part and why.',
].join(' ');
