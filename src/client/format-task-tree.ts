import type { Plan } from '../contracts/plan';
import type { SubtaskSummary } from '../contracts/agent-task';
import type { PendingRequest } from '../contracts/human';
import type { Usage } from '../contracts/usage';
import { totalTokens } from '../shared/usage';

/** What the tree shows: a running task's progress or a finished task's result. */
export interface TaskTreeInput {
  workflowId: string;
  executionStatus: string;
  phase?: string;
  taskStatus?: string;
  plan: Plan | null;
  subtasks: SubtaskSummary[];
  usage?: Usage;
  answer?: string;
  /** Approvals and questions waiting for a person. */
  pending?: PendingRequest[];
  uiUrl: string;
}

function money(value: number): string {
  return `$${value.toFixed(6)}`;
}

/** Renders a task and its subtasks as a small text tree for `chassis status`. */
export function formatTaskTree(input: TaskTreeInput): string {
  const state = [
    input.executionStatus,
    input.taskStatus,
    input.phase && input.phase !== 'done' ? `phase ${input.phase}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`${input.workflowId}  ${state}`, `  ${input.uiUrl}`];
  if (input.plan) {
    lines.push(
      input.plan.mode === 'direct'
        ? '  plan: direct (one agent loop)'
        : `  plan: ${input.plan.subtasks.length} subtasks`,
    );
  }
  const dependencies = new Map(
    input.plan?.mode === 'decompose' ? input.plan.subtasks.map((subtask) => [subtask.id, subtask.dependsOn]) : [],
  );
  const width = Math.max(0, ...input.subtasks.map((subtask) => subtask.id.length));
  input.subtasks.forEach((subtask, index) => {
    const branch = index === input.subtasks.length - 1 ? '└─' : '├─';
    const after = dependencies.get(subtask.id) ?? [];
    const details = [
      subtask.usage.modelCalls > 0 ? money(subtask.usage.costUsd) : undefined,
      after.length > 0 ? `after ${after.join(', ')}` : undefined,
      subtask.error,
    ].filter(Boolean);
    lines.push(
      `  ${branch} ${subtask.id.padEnd(width)}  ${subtask.status}${details.length > 0 ? `  (${details.join('; ')})` : ''}`,
    );
  });
  for (const request of input.pending ?? []) {
    // The call key names one call of the run; runs from before call keys are named by the provider's id.
    const call = request.callKey ?? request.callId;
    const what =
      request.kind === 'question'
        ? `question: ${request.question ?? ''} (chassis answer ${input.workflowId} ${call} "…")`
        : `approval of ${request.tool} ${request.arguments} (chassis approve|reject ${input.workflowId} ${call})`;
    lines.push(`  waiting for a person since ${request.since}: ${what}`);
  }
  if (input.usage) {
    const tokens = totalTokens(input.usage);
    lines.push(
      `  usage: ${input.usage.modelCalls} model calls, ${input.usage.toolCalls} tool calls, ${tokens} tokens, ${money(input.usage.costUsd)}`,
    );
  }
  if (input.answer !== undefined) lines.push(`  answer: ${input.answer}`);
  return lines.join('\n');
}
