import { patched } from '@temporalio/workflow';
import type { ModelCallResult, ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ChatMessage, ToolDefinition } from '../contracts/messages';
import type { RouteDecision } from '../contracts/models';
import { modelCallAllowance, type CallAllowance } from './budget';
import { estimateMessagesTokens, estimateToolDefinitionsTokens } from '../shared/estimate-tokens';

/** Steps in a row whose tool calls were all malformed or unknown before the loop gives up. */
export const MAX_MALFORMED_TOOL_STEPS = 3;

// Each patch marks a place where the loop now stops or ends differently than it used to;
// executions recorded before the change replay the old way (no marker in their history).
const BUDGET_GUARD_PATCH = 'model-call-budget-guard';
const EMPTY_ANSWER_PATCH = 'empty-answer-fails';
const MALFORMED_TOOL_CALLS_PATCH = 'malformed-tool-calls-stop';

/** Why a loop ended without an answer it can stand behind; the task ends `failed` with it. */
export interface LoopFailure {
  type: FailureType;
  message: string;
}

/** What the previous model call of the loop reported, to predict the next one's input. */
export interface PreviousCall {
  inputTokens: number;
  /** Messages the previous call was sent. */
  messageCount: number;
}

/**
 * The input tokens the next call will at least be billed: the estimate of the whole prompt,
 * or — once the provider has reported a call — that call's input plus the estimate of the
 * messages added since (a loop's conversation only grows), whichever is larger. Pure.
 */
export function expectedInputTokens(
  messages: readonly ChatMessage[],
  tools: readonly ToolDefinition[],
  previous: PreviousCall | undefined,
): number {
  const estimate = estimateMessagesTokens(messages) + estimateToolDefinitionsTokens(tools);
  if (previous === undefined) return estimate;
  return Math.max(estimate, previous.inputTokens + estimateMessagesTokens(messages.slice(previous.messageCount)));
}

function isMalformedCall(result: ToolCallResult): boolean {
  return (
    !result.ok &&
    (result.error.type === FailureType.ToolInvalidArguments || result.error.type === FailureType.ToolUnknown)
  );
}

/**
 * The agent loop's stopping rules besides its step budget: no model call that the token
 * budget cannot pay for, no `completed` on an empty answer, no endless malformed tool calls.
 * One instance per loop run.
 */
export class LoopGuards {
  private previous: PreviousCall | undefined;

  /**
   * @param tokensLeft what is left of the loop's token budget, or undefined without one
   * @param malformedSteps malformed steps in a row carried from a previous run (continue-as-new)
   */
  constructor(
    private readonly tokensLeft: () => number | undefined,
    private malformedSteps = 0,
  ) {}

  /** Steps in a row whose tool calls were all malformed, to carry into a continued run. */
  get malformedStepsInARow(): number {
    return this.malformedSteps;
  }

  /**
   * The loop's messages were compressed: the previous call's count no longer predicts the
   * next one (the conversation did not only grow), so the estimate alone is used.
   */
  contextReplaced(): void {
    this.previous = undefined;
  }

  /** Before a model call: stop, or make it with at most `maxOutputTokens` of output. */
  beforeModelCall(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): CallAllowance {
    const allowance = modelCallAllowance(this.tokensLeft(), expectedInputTokens(messages, tools, this.previous));
    if (allowance.stop !== undefined && !patched(BUDGET_GUARD_PATCH)) return {};
    return allowance;
  }

  /** After a model call: remember what it was billed. */
  afterModelCall(result: ModelCallResult, messageCount: number): void {
    this.previous = { inputTokens: result.usage.inputTokens, messageCount };
  }

  /** A final answer (no tool calls) the routed call still found unusable, even after any escalation. */
  finalAnswerFailure(problem: string | undefined, route: RouteDecision): LoopFailure | undefined {
    if (problem === undefined || !patched(EMPTY_ANSWER_PATCH)) return undefined;
    const escalated = route.reason.startsWith('escalated') ? `, also after escalating to the ${route.tier} tier` : '';
    return {
      type: FailureType.TaskNoUsableAnswer,
      message: `the model gave no usable answer (${problem} from ${route.model}${escalated}): try again, or pin a more capable model with --model`,
    };
  }

  /** After a step's tool calls: a failure once {@link MAX_MALFORMED_TOOL_STEPS} steps in a row had only malformed or unknown calls. */
  toolResultsFailure(results: readonly ToolCallResult[]): LoopFailure | undefined {
    this.malformedSteps = results.length > 0 && results.every(isMalformedCall) ? this.malformedSteps + 1 : 0;
    if (this.malformedSteps < MAX_MALFORMED_TOOL_STEPS || !patched(MALFORMED_TOOL_CALLS_PATCH)) return undefined;
    const last = results.at(-1);
    const detail = last !== undefined && !last.ok ? ` (last: ${last.error.message})` : '';
    return {
      type: FailureType.TaskMalformedToolCalls,
      message: `the model's tool calls were malformed or named unknown tools in ${this.malformedSteps} steps in a row${detail}; stopped instead of looping: check the tools' descriptions, or pin a more capable model with --model`,
    };
  }
}
