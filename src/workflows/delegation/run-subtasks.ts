import {
  ChildWorkflowFailure,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  patched,
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
import { rootCauseMessage } from '../../shared/root-cause';
import type { AgentTaskState } from '../agent-task-state';
import { childShare, reservationOf, shareIsEmpty, totalReserved, type BudgetReservation } from '../budget';

/**
 * Marks runs whose children are `<parent>/subtask-<n>` (plan order). Older runs used the
 * planner's subtask id (`<parent>/gather-prices`): model-written words in a workflow id,
 * which no payload codec encrypts.
 */
const POSITIONAL_CHILD_IDS_PATCH = 'positional-child-ids';

/** Marks runs that hold back a subtask whose share of the budget is empty (older runs started it). */
const SHARED_BUDGET_PATCH = 'shared-child-budget';

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
  /** The parent's working-memory settings, passed on to every child. */
  stepsPerRun?: number;
  contextMaxTokens?: number;
  /** The parent's state: its budget, usage and clock; children's shares come out of it. */
  state: AgentTaskState;
}

/** How a child's own status reads in its parent. */
function statusOf(status: AgentTaskResult['status'] | SubtaskResult['status']): SubtaskSummary['status'] {
  if (status === 'completed' || status === 'failed' || status === 'cancelled') return status;
  return 'budget_exceeded';
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
  budget: Budget,
) {
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
      stepsPerRun: input.stepsPerRun,
      contextMaxTokens: input.contextMaxTokens,
    };
    const result: AgentTaskResult = await executeChild('agentTaskWorkflow', { ...common, args: [nested] });
    return {
      status: result.status,
      answer: result.answer,
      usage: result.usage,
      failure: result.failure,
      stopReason: result.status === 'budget_exceeded' ? 'its share of the budget ran out' : undefined,
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
    stepsPerRun: input.stepsPerRun,
    contextMaxTokens: input.contextMaxTokens,
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
  const positional = patched(POSITIONAL_CHILD_IDS_PATCH);
  for (const [position, subtask] of input.subtasks.entries()) {
    const summary: SubtaskSummary = {
      id: subtask.id,
      title: subtask.title,
      workflowId: positional ? `${parentId}/subtask-${position + 1}` : `${parentId}/${subtask.id}`,
      status: 'pending',
      usage: emptyUsage(),
    };
    summaries.set(subtask.id, summary);
    input.state.subtasks.push(summary);
  }
  const running = new Map<string, Promise<SubtaskOutcome>>();
  // What each running child holds of the budget; released (and its real usage counted) when it ends.
  const reservations = new Map<string, BudgetReservation>();
  // This child, the subtasks not started yet, and the synthesis after them.
  const sharesNeeded = () => [...summaries.values()].filter((entry) => entry.status === 'pending').length + 1;

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
      const share = childShare(
        input.state.budget,
        { usage: input.state.usage, elapsedMs: input.state.elapsedMs() },
        totalReserved(reservations.values()),
        sharesNeeded(),
      );
      if (shareIsEmpty(share) && patched(SHARED_BUDGET_PATCH)) {
        summary.status = 'budget_exceeded';
        summary.error = 'not started: too little of the budget is left for it (running subtasks hold their shares)';
        return { subtask, status: 'budget_exceeded', error: summary.error };
      }
      reservations.set(id, reservationOf(share));
      summary.status = 'running';
      try {
        const result = await runChild(input, subtask, dependencies, summary, share);
        reservations.delete(id);
        input.state.addUsage(result.usage);
        for (const outcome of result.unknownOutcomes ?? []) input.state.onUnknownOutcome(outcome);
        summary.usage = result.usage;
        summary.status = statusOf(result.status);
        if (summary.status !== 'completed') summary.error = result.failure?.message ?? result.stopReason;
        return { subtask, status: summary.status, answer: result.answer, error: summary.error };
      } catch (error) {
        if (isCancellation(error)) {
          summary.status = 'cancelled';
          throw error;
        }
        if (!(error instanceof ChildWorkflowFailure)) throw error;
        // A failed child reports no usage: its share stays reserved, as if spent, so the task stays within budget.
        summary.status = 'failed';
        summary.error = rootCauseMessage(error);
        return { subtask, status: 'failed', error: summary.error };
      }
    })();
    running.set(id, promise);
    return promise;
  };

  return Promise.all(input.subtasks.map((subtask) => run(subtask.id)));
}
