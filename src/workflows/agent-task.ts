import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyLocalActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  TASK_CONTINUATION_SCHEMA_VERSION,
  type AgentTaskContinuation,
  type AgentTaskInput,
  type AgentTaskResult,
  type AgentTaskStatus,
  type TaskFailure,
} from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { RememberTaskInput } from '../contracts/memory';
import type { ChatMessage } from '../contracts/messages';
import type { ModelSelection } from '../contracts/models';
import type { Plan } from '../contracts/plan';
import type { AgentTool } from '../contracts/tools';
import type { AgentLoopCarry } from '../contracts/working-memory';
import { runAgentLoop } from './agent-loop';
import { AgentTaskState } from './agent-task-state';
import { runSubtasks, type SubtaskOutcome } from './delegation/run-subtasks';
import { synthesize } from './delegation/synthesize';
import { planTask } from './planning/plan-task';
import { DEFAULT_SYSTEM_PROMPT } from './prompts';
import { publishStatus } from './publish-status';
import { localStart } from './activity-options';
import { rememberTaskWorkflow } from './remember-task';
import { routeCall } from './routing/choose-tier';
import { installTaskHandlers } from './task-handlers';
import { prepareTask } from './task-preparation';

const DEFAULT_MAX_STEPS = 8;

/**
 * Patch id: a finished task starts its memory writing through a local activity in its last
 * workflow task instead of as a child workflow. Histories recorded before it start the child.
 */
export const REMEMBER_LOCAL_START_PATCH = 'remember-task-local-start-v1';
/** Episodes of tasks run outside any session are recalled together under this id. */
const DEFAULT_SESSION = 'default';
const DEFAULT_NAMESPACE = 'default';
const DEFAULT_MAX_DEPTH = 2;
/** Below this a prompt cannot hold a system prompt, a goal and one step. */
const MIN_CONTEXT_MAX_TOKENS = 256;
const MAX_SUBTASKS = 8;

function validate(input: AgentTaskInput): void {
  const problems: string[] = [];
  if (typeof input?.goal !== 'string' || input.goal.trim() === '') problems.push('goal must be a non-empty string');
  if (input?.model !== undefined && (typeof input.model !== 'string' || input.model === ''))
    problems.push('model must name a model');
  if (input?.maxSteps !== undefined && !(Number.isInteger(input.maxSteps) && input.maxSteps >= 1)) {
    problems.push('maxSteps must be a positive integer');
  }
  if (input?.stepsPerRun !== undefined && !(Number.isInteger(input.stepsPerRun) && input.stepsPerRun >= 1)) {
    problems.push('stepsPerRun must be a positive integer');
  }
  if (
    input?.contextMaxTokens !== undefined &&
    !(Number.isInteger(input.contextMaxTokens) && input.contextMaxTokens >= MIN_CONTEXT_MAX_TOKENS)
  ) {
    problems.push(`contextMaxTokens must be an integer of at least ${MIN_CONTEXT_MAX_TOKENS}`);
  }
  const carried = input?.continued;
  if (carried !== undefined && carried.schemaVersion !== TASK_CONTINUATION_SCHEMA_VERSION) {
    problems.push(
      `continued carries schema version ${String(carried.schemaVersion)}, this worker reads ${TASK_CONTINUATION_SCHEMA_VERSION}: run the task on a worker of the version that continued it`,
    );
  }
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: FailureType.TaskInvalidInput,
      message: `invalid agent task input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
}

/**
 * One agent task: plan → (answer directly | delegate subtasks as child workflows, in
 * parallel where the plan allows) → synthesize. Failures of parts degrade the answer
 * instead of failing the task; budgets stop it cleanly with what it has.
 */
export async function agentTaskWorkflow(input: AgentTaskInput): Promise<AgentTaskResult> {
  validate(input);
  const depth = input.depth ?? 0;
  const maxDepth = input.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxSteps = input.maxSteps ?? DEFAULT_MAX_STEPS;
  // A continued run (continue-as-new) picks up the loop where the previous run left it.
  const continued = input.continued;
  const startedAt = continued?.state.startedAt ?? Date.now();
  const state = new AgentTaskState(input.goal, maxSteps, input.budget ?? {}, startedAt, () => Date.now());
  if (continued !== undefined) state.restore(continued.state);
  installTaskHandlers(state);
  publishStatus('running', state.usage);
  let plan: Plan = continued?.plan ?? { mode: 'direct' };
  let answer = '';
  let stopReason: string | undefined;
  let failure: TaskFailure | undefined;
  let selection: ModelSelection = continued?.selection ?? { kind: 'pinned', model: input.model ?? '' };
  let remembers = continued?.remembers ?? false;
  let carry: AgentLoopCarry | undefined;
  let tools: AgentTool[] = continued?.tools ?? [];
  try {
    let context: ChatMessage[] = [];
    if (continued === undefined) {
      const prepared = await prepareTask(input, depth);
      tools = prepared.tools;
      selection = prepared.selection;
      remembers = prepared.remembers;
      if (prepared.recalled.note) state.notes.push(prepared.recalled.note);
      context = [...(prepared.recalled.message ? [prepared.recalled.message] : []), ...(input.context ?? [])];
    }

    if (continued !== undefined) {
      // Planned in the first run; the plan is carried.
    } else if (input.planning === 'direct') {
      plan = { mode: 'direct', reason: 'planning turned off for this task' };
    } else {
      state.phase = 'planning';
      const planning = await planTask({
        goal: input.goal,
        context,
        selection,
        tools,
        limits: { maxSubtasks: MAX_SUBTASKS, depth, maxDepth, availableTools: tools.map((tool) => tool.name) },
      });
      plan = planning.plan;
      state.routes.push(...planning.routes);
      for (const usage of planning.usage) state.addUsage(usage);
      state.notes.push(...planning.notes);
    }
    state.plan = plan;
    publishStatus('running', state.usage);

    if (plan.mode === 'direct') {
      const outcome = await runAgentLoop(
        {
          selection,
          tools,
          maxSteps,
          messages: [
            { role: 'system', content: input.systemPrompt ?? DEFAULT_SYSTEM_PROMPT },
            ...context,
            { role: 'user', content: input.goal },
          ],
          goal: input.goal,
          resume: continued?.loop,
          stepsPerRun: input.stepsPerRun,
          contextMaxTokens: input.contextMaxTokens,
        },
        state,
      );
      answer = outcome.answer;
      stopReason = outcome.finished ? undefined : outcome.stopReason;
      failure = outcome.failure;
      carry = outcome.carry;
    } else {
      state.phase = 'delegating';
      const outcomes: SubtaskOutcome[] = await runSubtasks({
        goal: input.goal,
        subtasks: plan.subtasks,
        selection,
        tools,
        maxSteps,
        depth,
        maxDepth,
        stepsPerRun: input.stepsPerRun,
        contextMaxTokens: input.contextMaxTokens,
        state,
      });
      for (const outcome of outcomes) {
        if (outcome.status !== 'completed')
          state.notes.push(`subtask "${outcome.subtask.id}" ${outcome.status}: ${outcome.error ?? ''}`.trim());
      }
      stopReason = outcomes.find((outcome) => outcome.status === 'budget_exceeded')?.error;
      state.phase = 'synthesizing';
      publishStatus('running', state.usage);
      const synthesis = await synthesize(input.goal, outcomes, state.instructions, selection, state.tokensLeft());
      answer = synthesis.answer;
      stopReason ??= synthesis.stopReason;
      if (synthesis.route) state.routes.push(synthesis.route);
      if (synthesis.usage) state.addUsage(synthesis.usage);
      if (synthesis.note) state.notes.push(synthesis.note);
    }
  } catch (error) {
    state.phase = 'done';
    if (isCancellation(error)) {
      // Record what the task had when it was cancelled; children are cancelled with it.
      await CancellationScope.nonCancellable(async () => publishStatus('cancelled', state.usage));
      return result('cancelled', 'The task was cancelled.', plan, state);
    }
    publishStatus('failed', state.usage);
    throw error;
  }
  if (carry !== undefined) {
    const loop = carry;
    return continueTask(input, () => ({
      schemaVersion: TASK_CONTINUATION_SCHEMA_VERSION,
      runs: (continued?.runs ?? 0) + 1,
      loop,
      plan,
      selection,
      tools,
      remembers,
      state: state.carry(),
    }));
  }
  state.phase = 'done';
  const status: AgentTaskStatus =
    failure !== undefined ? 'failed' : stopReason === undefined ? 'completed' : 'budget_exceeded';
  if (failure !== undefined) {
    state.notes.push(failure.message);
    answer = `No answer: ${failure.message}.${answer ? ` What I have so far: ${answer}` : ''}`;
  } else if (stopReason !== undefined) {
    state.notes.push(stopReason);
    answer = `Stopped early: ${stopReason}.${answer ? ` What I have so far: ${answer}` : ''}`;
  }
  // A task without a usable answer is not remembered: recall would offer it as an answer later.
  if (remembers && failure === undefined) {
    const note = await rememberTask(input, answer, selection);
    if (note) state.notes.push(note);
  }
  publishStatus(status, state.usage);
  return { ...result(status, answer, plan, state), ...(failure !== undefined ? { failure } : {}) };
}

/**
 * Continues the task as new: a fresh history (the old one stays bounded), the same workflow
 * id, and the carried loop and bookkeeping. Handlers finish first so no instruction or
 * decision is lost between runs; the client's `result()` follows the new run.
 */
async function continueTask(input: AgentTaskInput, continuation: () => AgentTaskContinuation): Promise<never> {
  await condition(allHandlersFinished);
  // Built after the handlers finished, so an instruction that arrived meanwhile is carried.
  return continueAsNew<typeof agentTaskWorkflow>({ ...input, continued: continuation() });
}

const { startRememberTask } = proxyLocalActivities<Activities>(localStart);

/**
 * Starts the workflow that writes this task to memory. On its own on purpose: the answer
 * does not wait for MongoDB, and its writes are retried until they land.
 */
async function rememberTask(
  input: AgentTaskInput,
  answer: string,
  selection: ModelSelection,
): Promise<string | undefined> {
  const { workflowId } = workflowInfo();
  const sessionId = input.sessionId ?? DEFAULT_SESSION;
  const extractionModel =
    selection.kind === 'pinned'
      ? selection.model
      : routeCall(selection.models, { purpose: 'extract', contextTokens: 0, toolCount: 0, failures: 0 }).model;
  const conversation = [
    { role: 'user' as const, content: input.goal },
    { role: 'assistant' as const, content: answer },
  ];
  const task: RememberTaskInput = {
    episode: {
      id: `${workflowId}/task`,
      sessionId,
      workflowId,
      kind: 'task',
      role: 'assistant',
      content: `Task: ${input.goal}\nAnswer: ${answer}`,
      occurredAt: new Date(Date.now()).toISOString(),
    },
    facts: {
      model: extractionModel,
      namespace: input.memoryNamespace ?? DEFAULT_NAMESPACE,
      messages: conversation,
      source: workflowId,
    },
  };
  try {
    if (patched(REMEMBER_LOCAL_START_PATCH)) {
      // Started by the worker's client and the task completes in this same workflow task; a
      // child's start would add a round trip through the server before the answer.
      await startRememberTask({ workflowId: `${workflowId}/remember`, task });
    } else {
      await startChild(rememberTaskWorkflow, {
        workflowId: `${workflowId}/remember`,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: 'Write the task to memory',
        args: [task],
      });
    }
    return undefined;
  } catch (error) {
    return `could not start writing the task to memory: ${(error as Error).message}`;
  }
}

function result(status: AgentTaskStatus, answer: string, plan: Plan, state: AgentTaskState): AgentTaskResult {
  const { unknownOutcomes, note } = state.unknownOutcomesReport();
  return {
    status,
    answer,
    plan,
    subtasks: state.subtasks,
    steps: state.steps,
    routes: state.routes,
    usage: state.usage,
    notes: note === undefined ? state.notes : [...state.notes, note],
    ...(unknownOutcomes === undefined ? {} : { unknownOutcomes }),
  };
}
