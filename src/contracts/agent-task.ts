import { defineQuery } from '@temporalio/workflow';
import type { Usage } from './usage';

/** Input of `agentTaskWorkflow`. */
export interface AgentTaskInput {
  goal: string;
  /** Catalog id of the model that runs the agent loop; the client fills in the configured default. */
  model: string;
  /** Tool names the agent may use. @default every registered tool */
  tools?: string[];
  /** @default 8 */
  maxSteps?: number;
  /** Overrides the built-in system prompt. */
  systemPrompt?: string;
}

/** How a task ended. */
export type AgentTaskStatus = 'completed' | 'budget_exceeded' | 'failed';

/** One step of the agent loop, kept small for history and the status query. */
export interface AgentStepRecord {
  step: number;
  model: string;
  toolCalls: { name: string; ok: boolean }[];
  inputTokens: number;
  outputTokens: number;
}

/** Result of `agentTaskWorkflow`. */
export interface AgentTaskResult {
  status: AgentTaskStatus;
  answer: string;
  steps: AgentStepRecord[];
  usage: Usage;
}

/** Phase of a running task. */
export type AgentTaskPhase = 'starting' | 'thinking' | 'calling-tools' | 'done';

/** Answer of the `status` query. */
export interface AgentTaskStatusView {
  phase: AgentTaskPhase;
  goal: string;
  step: number;
  maxSteps: number;
  steps: AgentStepRecord[];
  usage: Usage;
}

/** Reads a running task's progress; cheap and side-effect free. */
export const agentTaskStatusQuery = defineQuery<AgentTaskStatusView>('status');
