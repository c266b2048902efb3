import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ToolCallResult } from '../../../src/contracts/activities';
import type { ChatMessage, ToolDefinition } from '../../../src/contracts/messages';
import type { PlainActivities } from './plain-activities';

/**
 * Workflows written the plain way, as the engine floor the benchmarks compare Chassis with.
 * They live under bench/ because they are yardsticks, not part of the harness.
 */

const { plainModelCall, plainToolCall, noop } = proxyActivities<PlainActivities>({
  startToCloseTimeout: '1 minute',
});

/** Input of {@link plainAgentWorkflow}. */
export interface PlainAgentInput {
  model: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  maxSteps: number;
}

/** A tool result as the message the model reads next (the same form the agent loop uses). */
export function toolResultMessage(result: ToolCallResult): ChatMessage {
  const content = result.ok
    ? result.output
    : JSON.stringify({ error: result.error.type, message: result.error.message });
  return { role: 'tool', toolCallId: result.callId, content };
}

/** The agent loop as a plain workflow: model call → tool calls (as activities) → model call … */
export async function plainAgentWorkflow(input: PlainAgentInput): Promise<string> {
  const messages = [...input.messages];
  for (let step = 1; step <= input.maxSteps; step++) {
    const result = await plainModelCall({
      model: input.model,
      messages,
      tools: input.tools,
      purpose: `step ${step}`,
    });
    if (result.toolCalls.length === 0) return result.content ?? '';
    messages.push({ role: 'assistant', content: result.content, toolCalls: result.toolCalls });
    const results = await Promise.all(
      result.toolCalls.map((call) =>
        plainToolCall({ call, idempotencyKey: `${workflowInfo().workflowId}/step-${step}/${call.id}` }),
      ),
    );
    messages.push(...results.map(toolResultMessage));
  }
  throw ApplicationFailure.create({
    type: 'Bench.NoAnswer',
    message: `the model did not answer within ${input.maxSteps} steps: check the benchmark's script`,
    nonRetryable: true,
  });
}

/** Three hand-offs with no work in them (activities that return at once): the engine alone. */
export async function threeHandOffsWorkflow(): Promise<string> {
  await noop({ step: 'first' });
  await noop({ step: 'second' });
  const { step } = await noop({ step: 'third' });
  return step;
}
