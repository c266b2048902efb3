import type { ToolCallResult } from '../contracts/activities';
import type { AgentStepRecord, UnknownOutcome } from '../contracts/agent-task';
import type { ChatMessage, ToolCallRequest } from '../contracts/messages';
import type { ModelSelection, TierName } from '../contracts/models';
import type { AgentTool } from '../contracts/tools';
import type { Usage } from '../contracts/usage';
import { estimateMessagesTokens } from './context/estimate-tokens';
import { callModelRouted } from './routed-model-call';
import type { HumanGate } from './human/human-gate';
import { LoopGuards, type LoopFailure } from './loop-guards';
import { runToolCall } from './tool-calls';

/** What one run of the agent loop needs. */
export interface AgentLoopInput {
  selection: ModelSelection;
  /** The plan's tier hint for this loop's steps. */
  hint?: TierName;
  messages: ChatMessage[];
  tools: AgentTool[];
  maxSteps: number;
}

/** Hooks the caller uses to keep its status view current, enforce budgets and inject instructions. */
export interface AgentLoopObserver {
  onModelCall(step: number): void;
  onToolCalls(step: number, calls: ToolCallRequest[]): void;
  onStep(record: AgentStepRecord, usage: Usage): void;
  /** Why the budget is spent, or undefined; checked before every model call. */
  budgetExhausted(): string | undefined;
  /** What is left of the token budget, or undefined without one; caps each model call. */
  tokensLeft(): number | undefined;
  /** Instructions added since the last call; each is returned once. */
  takeNewInstructions(): string[];
  /** Where approvals and questions wait for people. */
  readonly gate: HumanGate;
  /** A call with side effects whose outcome is unknown (the model was told not to repeat it). */
  onUnknownOutcome?(outcome: UnknownOutcome): void;
}

/** How the loop ended. */
export interface AgentLoopOutcome {
  finished: boolean;
  answer: string;
  /** Why the loop stopped without an answer. */
  stopReason?: string;
  /** Set when the loop ended on something it cannot call an answer (see `LoopGuards`). */
  failure?: LoopFailure;
  messages: ChatMessage[];
}

function toolMessage(result: ToolCallResult): ChatMessage {
  const content = result.ok
    ? result.output
    : JSON.stringify({ error: result.error.type, message: result.error.message });
  return { role: 'tool', toolCallId: result.callId, content };
}

/**
 * The agent loop: model → tools → model … until the model answers without tool calls, the
 * step budget runs out or the caller's budget is spent. Every model call is routed (or
 * pinned); tool calls of one turn run as parallel activities.
 */
export async function runAgentLoop(input: AgentLoopInput, observer: AgentLoopObserver): Promise<AgentLoopOutcome> {
  const messages = [...input.messages];
  let lastContent = '';
  const guards = new LoopGuards(() => observer.tokensLeft());
  const toolDefinitions = input.tools.map(({ name, description, parameters }) => ({ name, description, parameters }));
  for (let step = 1; step <= input.maxSteps; step++) {
    const exhausted = observer.budgetExhausted();
    if (exhausted !== undefined) return { finished: false, answer: lastContent, stopReason: exhausted, messages };
    for (const instruction of observer.takeNewInstructions()) {
      messages.push({ role: 'user', content: `Additional instruction from the user: ${instruction}` });
    }
    const allowance = guards.beforeModelCall(messages, toolDefinitions);
    if (allowance.stop !== undefined)
      return { finished: false, answer: lastContent, stopReason: allowance.stop, messages };
    observer.onModelCall(step);
    const { result, route, usage, problem } = await callModelRouted({
      selection: input.selection,
      purpose: 'step',
      hint: input.hint,
      messages,
      tools: toolDefinitions,
      maxOutputTokens: allowance.maxOutputTokens,
      contextTokens: estimateMessagesTokens(messages),
      label: `step ${step}`,
    });
    guards.afterModelCall(result, messages.length);
    lastContent = result.content ?? lastContent;
    const record: AgentStepRecord = {
      step,
      model: result.model,
      route,
      toolCalls: [],
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
    };
    if (result.toolCalls.length === 0) {
      observer.onStep(record, usage);
      messages.push({ role: 'assistant', content: result.content });
      const failure = guards.finalAnswerFailure(problem, route);
      if (failure !== undefined) return { finished: false, answer: '', stopReason: failure.message, failure, messages };
      return { finished: true, answer: result.content ?? '', messages };
    }
    messages.push({ role: 'assistant', content: result.content, toolCalls: result.toolCalls });
    observer.onToolCalls(step, result.toolCalls);
    const toolResults = await Promise.all(
      result.toolCalls.map((call) =>
        runToolCall(call, input.tools, step, observer.gate, (outcome) => observer.onUnknownOutcome?.(outcome)),
      ),
    );
    record.toolCalls = toolResults.map((toolResult) => ({ name: toolResult.name, ok: toolResult.ok }));
    observer.onStep(record, {
      ...usage,
      toolCalls: toolResults.length,
      cacheHits: toolResults.filter((toolResult) => toolResult.ok && toolResult.cached).length,
    });
    messages.push(...toolResults.map(toolMessage));
    const failure = guards.toolResultsFailure(toolResults);
    if (failure !== undefined)
      return { finished: false, answer: lastContent, stopReason: failure.message, failure, messages };
  }
  return {
    finished: false,
    answer: lastContent,
    stopReason: `the step budget (${input.maxSteps} steps) ran out`,
    messages,
  };
}
