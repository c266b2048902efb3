import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ModelCallResult, ToolCallResult } from '../contracts/activities';
import type { AgentStepRecord } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { ChatMessage, ToolCallRequest, ToolDefinition } from '../contracts/messages';
import { modelTaskQueueFor } from '../contracts/task-queues';
import { modelCall, toolCall } from './activity-options';

/** What one run of the agent loop needs. */
export interface AgentLoopInput {
  model: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  maxSteps: number;
}

/** Hooks the caller uses to keep its status view current. */
export interface AgentLoopObserver {
  onModelCall(step: number): void;
  onToolCalls(step: number, calls: ToolCallRequest[]): void;
  onStep(record: AgentStepRecord, result: ModelCallResult): void;
}

/** How the loop ended. */
export interface AgentLoopOutcome {
  finished: boolean;
  answer: string;
  messages: ChatMessage[];
}

const { callTool } = proxyActivities<Activities>(toolCall);

/** Model calls go to the model queue next to this workflow's queue (read at call time, not load time). */
function modelActivities() {
  return proxyActivities<Activities>({ ...modelCall, taskQueue: modelTaskQueueFor(workflowInfo().taskQueue) });
}

/** After the engine's retries, a tool failure becomes an observation the model can act on. */
async function runToolCall(call: ToolCallRequest, step: number): Promise<ToolCallResult> {
  try {
    return await callTool.executeWithOptions({ summary: `tool ${call.name}` }, [
      { call, idempotencyKey: `${workflowInfo().workflowId}/step-${step}/${call.id}` },
    ]);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = error.cause?.message ?? error.message;
    return {
      callId: call.id,
      name: call.name,
      ok: false,
      error: { type: FailureType.ToolTransient, message: `${call.name} kept failing after retries: ${reason}` },
    };
  }
}

function toolMessage(result: ToolCallResult): ChatMessage {
  const content = result.ok
    ? result.output
    : JSON.stringify({ error: result.error.type, message: result.error.message });
  return { role: 'tool', toolCallId: result.callId, content };
}

/**
 * The agent loop: model → tools → model … until the model answers without tool calls or
 * the step budget runs out. Tool calls of one turn run as parallel activities.
 */
export async function runAgentLoop(input: AgentLoopInput, observer: AgentLoopObserver): Promise<AgentLoopOutcome> {
  const { callModel } = modelActivities();
  const messages = [...input.messages];
  let lastContent = '';
  for (let step = 1; step <= input.maxSteps; step++) {
    observer.onModelCall(step);
    const result = await callModel.executeWithOptions({ summary: `${input.model}: step ${step}` }, [
      { model: input.model, messages, tools: input.tools, purpose: `step ${step}` },
    ]);
    lastContent = result.content ?? lastContent;
    const record: AgentStepRecord = {
      step,
      model: result.model,
      toolCalls: [],
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
    };
    if (result.toolCalls.length === 0) {
      observer.onStep(record, result);
      messages.push({ role: 'assistant', content: result.content });
      return { finished: true, answer: result.content ?? '', messages };
    }
    messages.push({ role: 'assistant', content: result.content, toolCalls: result.toolCalls });
    observer.onToolCalls(step, result.toolCalls);
    const toolResults = await Promise.all(result.toolCalls.map((call) => runToolCall(call, step)));
    record.toolCalls = toolResults.map((toolResult) => ({ name: toolResult.name, ok: toolResult.ok }));
    observer.onStep(record, result);
    messages.push(...toolResults.map(toolMessage));
  }
  return { finished: false, answer: lastContent, messages };
}
