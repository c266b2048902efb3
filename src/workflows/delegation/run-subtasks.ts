import {
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AgentTaskInput,
  AgentTaskResult,
  SubtaskInput,
  SubtaskResult,
  SubtaskSummary,
} from '../../contracts/agent-task';
import type { Budget } from '../../contracts/budget';
import type { ModelSelection } from '../../contracts/models';
import type { PlannedSubtask } from '../../contracts/plan';
import { ChassisStatus } from '../../contracts/search-attributes';
import type { AgentTool } from '../../contracts/tools';
import { emptyUsage } from '../../contracts/usage';
import type { AgentTaskState } from '../agent-task-state';

/** What a finished (or never started) subtask left for its dependents and the synthesis. */
export interface SubtaskOutcome {
  subtask: PlannedSubtask;
  status: SubtaskSummary['status'];
  answer?: string;
  error?: string;
}

/** Everything the delegation needs from the parent. */
export interface DelegationInput {
  goal: string;
  subtasks: PlannedSubtask[];
  selection: ModelSelection;
  tools: AgentTool[];
  maxSteps: number;
  depth: number;
  maxDepth: number;
  /** What is left of the parent's budget when a child starts. */
  remainingBudget(): Budget;
  state: AgentTaskState;
}

function rootCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

function childInstructions(subtask: PlannedSubtask, dependencies: SubtaskOutcome[]): string {
  const inputs = dependencies.map((outcome) => `Result of "${outcome.subtask.title}":\n${outcome.answer ?? ''}`);
  return [subtask.instructions, ...inputs].join('\n\n');
}

async function runChild(
  input: DelegationInput,
  subtask: PlannedSubtask,
  dependencies: SubtaskOutcome[],
  summary: SubtaskSummary,
) {
  const budget = input.remainingBudget();
  const common = {
    workflowId: summary.workflowId,
    taskQueue: workflowInfo().taskQueue,
    staticSummary: `Subtask ${subtask.id}: ${subtask.title}`,
    typedSearchAttributes: [{ key: ChassisStatus, value: 'running' }],
    // Children end with their parent: a cancelled or failed task leaves nothing running.
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    ...(budget.maxDurationMs !== undefined ? { workflowExecutionTimeout: Math.max(1000, budget.maxDurationMs) } : {}),
  };
  const tools = input.tools.filter((tool) => subtask.tools.includes(tool.name));
  if (subtask.decompose) {
    const nested: AgentTaskInput = {
      goal: childInstructions(subtask, dependencies),
      model: input.selection.kind === 'pinned' ? input.selection.model : undefined,
      tools: subtask.tools,
      maxSteps: input.maxSteps,
      budget,
      depth: input.depth + 1,
      maxDepth: input.maxDepth,
    };
    const result: AgentTaskResult = await executeChild('agentTaskWorkflow', { ...common, args: [nested] });
    return {
      status: result.status,
      answer: result.answer,
      usage: result.usage,
      unknownOutcomes: result.unknownOutcomes,
    };
  }
  const childInput: SubtaskInput = {
    goal: input.goal,
    subtask,
    dependencyResults: dependencies.map((outcome) => ({
      id: outcome.subtask.id,
      title: outcome.subtask.title,
      answer: outcome.answer ?? '',
    })),
    instructions: [...input.state.instructions],
    selection: input.selection,
    tools,
    maxSteps: budget.maxSteps ?? input.maxSteps,
    budget,
  };
  const result: SubtaskResult = await executeChild('subtaskWorkflow', { ...common, args: [childInput] });
  return result;
}

/**
 * Runs the plan's subtasks as child workflows: each starts as soon as its dependencies
 * are done, so independent subtasks run in parallel. A failed subtask does not fail the
 * task; its dependents are skipped, and the outcomes say why.
 */
export async function runSubtasks(input: DelegationInput): Promise<SubtaskOutcome[]> {
  const parentId = workflowInfo().workflowId;
  const byId = new Map(input.subtasks.map((subtask) => [subtask.id, subtask]));
  const summaries = new Map<string, SubtaskSummary>();
  for (const subtask of input.subtasks) {
    const summary: SubtaskSummary = {
      id: subtask.id,
      title: subtask.title,
      workflowId: `${parentId}/${subtask.id}`,
      status: 'pending',
      usage: emptyUsage(),
    };
    summaries.set(subtask.id, summary);
    input.state.subtasks.push(summary);
  }
  const running = new Map<string, Promise<SubtaskOutcome>>();

  const run = (id: string): Promise<SubtaskOutcome> => {
    const existing = running.get(id);
    if (existing) return existing;
    const subtask = byId.get(id) as PlannedSubtask;
    const summary = summaries.get(id) as SubtaskSummary;
    const promise = (async (): Promise<SubtaskOutcome> => {
      const dependencies = await Promise.all(subtask.dependsOn.map(run));
      const failed = dependencies.filter((outcome) => outcome.status !== 'completed');
      if (failed.length > 0) {
        summary.status = 'skipped';
        summary.error = `depends on ${failed.map((outcome) => `"${outcome.subtask.id}" (${outcome.status})`).join(', ')}`;
        return { subtask, status: 'skipped', error: summary.error };
      }
      const exhausted = input.state.budgetExhausted();
      if (exhausted !== undefined) {
        summary.status = 'budget_exceeded';
        summary.error = `not started: ${exhausted}`;
        return { subtask, status: 'budget_exceeded', error: summary.error };
      }
      summary.status = 'running';
      try {
        const result = await runChild(input, subtask, dependencies, summary);
        summary.status = result.status === 'completed' ? 'completed' : 'budget_exceeded';
        summary.usage = result.usage;
        input.state.addUsage(result.usage);
        for (const outcome of result.unknownOutcomes ?? []) input.state.onUnknownOutcome(outcome);
        return { subtask, status: summary.status, answer: result.answer };
      } catch (error) {
        if (isCancellation(error)) {
          summary.status = 'cancelled';
          throw error;
        }
        if (!(error instanceof ChildWorkflowFailure)) throw error;
        summary.status = 'failed';
        summary.error = rootCause(error);
        return { subtask, status: 'failed', error: summary.error };
      }
    })();
    running.set(id, promise);
    return promise;
  };

  return Promise.all(input.subtasks.map((subtask) => run(subtask.id)));
}
