import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Budget } from './budget';
import type { ChatMessage } from './messages';
import type { PendingRequest } from './human';
import type { Plan, PlannedSubtask } from './plan';
import type { ModelSelection, RouteDecision } from './models';
import type { AgentTool } from './tools';
import type { Usage } from './usage';

/** Input of `agentTaskWorkflow`. */
export interface AgentTaskInput {
  goal: string;
  /** Pins every call to this model; without it calls are routed by the model catalog. */
  model?: string;
  /** Tool names the agent may use. @default every registered tool */
  tools?: string[];
  /** Steps of each agent loop. @default 8 */
  maxSteps?: number;
  /** `direct` skips the planner: one agent loop, no subtasks. @default 'auto' */
  planning?: 'auto' | 'direct';
  /** Limits of the whole task; each subtask gets a share of what is left while it runs. */
  budget?: Budget;
  /** Overrides the built-in system prompt of the agent loop. */
  systemPrompt?: string;
  /** Nesting depth; set by a parent for a nested decomposition. @default 0 */
  depth?: number;
  /** How deep decomposition may nest. @default 2 */
  maxDepth?: number;
  /** Earlier conversation (a session's summary and recent turns), placed before the goal. */
  context?: ChatMessage[];
  /** The session this task belongs to, if any. */
  sessionId?: string;
  /** Recall memory before, and remember the task after. Only top-level tasks do. @default true */
  memory?: boolean;
  /** Namespace of semantic memory. @default 'default' */
  memoryNamespace?: string;
}

/**
 * How a task ended. `failed` with a result: the workflow completed, but without an answer
 * it can stand behind (`failure` says why); a workflow that failed outright has no result.
 */
export type AgentTaskStatus = 'completed' | 'budget_exceeded' | 'failed' | 'cancelled';

/** Why a task or subtask ended `failed` while its workflow completed. */
export interface TaskFailure {
  /** A value of the failure registry, e.g. `Task.NoUsableAnswer`, `Task.MalformedToolCalls`. */
  type: string;
  message: string;
}

/** How a subtask ended (or why it never ran). */
export type SubtaskStatus =
  'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'budget_exceeded' | 'cancelled';

/** One step of an agent loop, kept small for history and the status query. */
export interface AgentStepRecord {
  step: number;
  model: string;
  route: RouteDecision;
  toolCalls: { name: string; ok: boolean }[];
  inputTokens: number;
  outputTokens: number;
}

/**
 * A tool call with side effects whose outcome is unknown: the attempt that ran it stopped
 * before recording what happened, and the tool could not check it. It may or may not have
 * taken effect; the model was told not to repeat it.
 */
export interface UnknownOutcome {
  tool: string;
  callId: string;
  step: number;
  /** The key the call ran under; the system it changed may know it. */
  idempotencyKey: string;
  /** What the model was told. */
  message: string;
}

/** A subtask's outcome as the parent reports it. */
export interface SubtaskSummary {
  id: string;
  title: string;
  workflowId: string;
  status: SubtaskStatus;
  /** Why it failed or was skipped. */
  error?: string;
  usage: Usage;
}

/** Result of `agentTaskWorkflow`. */
export interface AgentTaskResult {
  status: AgentTaskStatus;
  answer: string;
  plan: Plan;
  subtasks: SubtaskSummary[];
  /** Steps of the agent loop run by this workflow itself (direct mode). */
  steps: AgentStepRecord[];
  /** The routing decision of every model call this workflow made (planning, synthesis, steps). */
  routes: RouteDecision[];
  /** Everything this task and its subtasks used. */
  usage: Usage;
  /** Plain-words notes on what went wrong or was left out. */
  notes: string[];
  /** Calls with side effects whose outcome is unknown (this task's and its subtasks'); absent when none. */
  unknownOutcomes?: UnknownOutcome[];
  /** Why the task ended `failed`; set only with that status. */
  failure?: TaskFailure;
}

/** Phase of a running task. */
export type AgentTaskPhase =
  | 'starting'
  | 'planning'
  | 'thinking'
  | 'calling-tools'
  | 'waiting-for-person'
  | 'delegating'
  | 'synthesizing'
  | 'done';

/** Answer of the `status` query. */
export interface AgentTaskStatusView {
  phase: AgentTaskPhase;
  goal: string;
  step: number;
  maxSteps: number;
  plan: Plan | null;
  subtasks: SubtaskSummary[];
  steps: AgentStepRecord[];
  instructions: string[];
  /** Approvals and questions waiting for a person. */
  pending: PendingRequest[];
  usage: Usage;
}

/** Reads a running task's progress; cheap and side-effect free. */
export const agentTaskStatusQuery = defineQuery<AgentTaskStatusView>('status');

/** Input of the `addInstruction` update. */
export interface AddInstructionInput {
  /** Deduplicates retried updates: the same id is applied once. */
  requestId: string;
  instruction: string;
}

/**
 * Adds an instruction to a running task; it reaches the next model call, subtasks not yet
 * started and the synthesis. An update, not a signal, so the caller learns whether it was
 * accepted (a finished task rejects it).
 */
export const addInstructionUpdate = defineUpdate<{ accepted: boolean; instructions: number }, [AddInstructionInput]>(
  'addInstruction',
);

/** Input of `subtaskWorkflow`: one planned subtask, with what its dependencies produced. */
export interface SubtaskInput {
  goal: string;
  subtask: PlannedSubtask;
  dependencyResults: { id: string; title: string; answer: string }[];
  /** Instructions added to the parent while it ran. */
  instructions: string[];
  selection: ModelSelection;
  /** The tools the plan gave this subtask, with their policies. */
  tools: AgentTool[];
  maxSteps: number;
  budget: Budget;
}

/** Result of `subtaskWorkflow`. */
export interface SubtaskResult {
  status: 'completed' | 'budget_exceeded' | 'failed';
  answer: string;
  /** Why the loop stopped early (`budget_exceeded`) or failed. */
  stopReason?: string;
  /** Why the subtask ended `failed`; set only with that status. */
  failure?: TaskFailure;
  steps: AgentStepRecord[];
  usage: Usage;
  /** Calls with side effects whose outcome is unknown; absent when none. */
  unknownOutcomes?: UnknownOutcome[];
}
