import { ApplicationFailure, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  agentTaskStatusQuery,
  type AgentTaskInput,
  type AgentTaskResult,
  type AgentTaskStatus,
} from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import { ChassisCostUsd, ChassisStatus, ChassisTokens } from '../contracts/search-attributes';
import { workerLookup } from './activity-options';
import { runAgentLoop } from './agent-loop';
import { AgentTaskState } from './agent-task-state';
import { DEFAULT_SYSTEM_PROMPT } from './prompts';

const DEFAULT_MAX_STEPS = 8;

const { describeTools } = proxyActivities<Activities>(workerLookup);

function validate(input: AgentTaskInput): void {
  const problems: string[] = [];
  if (typeof input?.goal !== 'string' || input.goal.trim() === '') problems.push('goal must be a non-empty string');
  if (typeof input?.model !== 'string' || input.model === '') problems.push('model must name a model');
  if (input?.maxSteps !== undefined && !(Number.isInteger(input.maxSteps) && input.maxSteps >= 1)) {
    problems.push('maxSteps must be a positive integer');
  }
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: FailureType.TaskInvalidInput,
      message: `invalid agent task input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
}

function publish(status: AgentTaskStatus | 'running', state: AgentTaskState): void {
  upsertSearchAttributes([
    { key: ChassisStatus, value: status },
    { key: ChassisCostUsd, value: state.usage.costUsd },
    { key: ChassisTokens, value: state.usage.inputTokens + state.usage.outputTokens },
  ]);
}

/** One agent task: the agent loop (model ⇄ tools) toward a goal, within a step budget. */
export async function agentTaskWorkflow(input: AgentTaskInput): Promise<AgentTaskResult> {
  validate(input);
  const state = new AgentTaskState(input, input.maxSteps ?? DEFAULT_MAX_STEPS);
  setHandler(agentTaskStatusQuery, () => state.view());
  publish('running', state);
  try {
    const { tools } = await describeTools({ names: input.tools });
    const outcome = await runAgentLoop(
      {
        model: input.model,
        tools,
        maxSteps: state.maxSteps,
        messages: [
          { role: 'system', content: input.systemPrompt ?? DEFAULT_SYSTEM_PROMPT },
          { role: 'user', content: input.goal },
        ],
      },
      state,
    );
    const status: AgentTaskStatus = outcome.finished ? 'completed' : 'budget_exceeded';
    state.phase = 'done';
    publish(status, state);
    const answer = outcome.finished
      ? outcome.answer
      : `The step budget (${state.maxSteps} steps) ran out before a final answer.${outcome.answer ? ` Last reply: ${outcome.answer}` : ''}`;
    return { status, answer, steps: state.steps, usage: state.usage };
  } catch (error) {
    state.phase = 'done';
    publish('failed', state);
    throw error;
  }
}
