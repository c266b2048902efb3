import { patched, workflowInfo } from '@temporalio/workflow';
import type { ToolCallResult } from '../contracts/activities';
import type { AgentStepRecord, UnknownOutcome } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { ChatMessage, ToolCallRequest, ToolDefinition } from '../contracts/messages';
import type { ModelSelection, RouteDecision, TierName } from '../contracts/models';
import type { AgentTool } from '../contracts/tools';
import type { Usage } from '../contracts/usage';
import type { AgentLoopCarry } from '../contracts/working-memory';
import { estimateMessagesTokens } from '../shared/estimate-tokens';
import { loopBudgetTokens } from './context/loop-budget';
import { newLoopMemory } from './context/loop-context';
import { callModelRouted, contextTooLongOf, type RoutedCallOutcome } from './routed-model-call';
import type { HumanGate } from './human/human-gate';
import { LoopGuards, type LoopFailure } from './loop-guards';
import { LoopWorkingMemory } from './loop-working-memory';
import { runToolCall } from './tool-calls';

/**
 * Patch id: the loop keeps its messages within the context budget (compressing older
 * steps), retries a provider's "context too long" answer compressed, and hands back a
 * carry for continue-as-new on long tasks. Histories recorded before it sent every message
 * at every step and never continued as new.
 */
export const WORKING_MEMORY_PATCH = 'agent-loop-working-memory-v1';

/** Steps one workflow run makes before the task continues as new, unless the server suggests it sooner. */
export const DEFAULT_STEPS_PER_RUN = 50;

/** Compressed retries of one step after "context too long" answers before the loop gives up. */
export const MAX_CONTEXT_RETRIES = 3;

/** What one run of the agent loop needs. */
export interface AgentLoopInput {
  selection: ModelSelection;
  /** The plan's tier hint for this loop's steps. */
  hint?: TierName;
  messages: ChatMessage[];
  tools: AgentTool[];
  maxSteps: number;
  /** What the previous run carried (continue-as-new): the loop goes on from there, and `messages` is not used. */
  resume?: AgentLoopCarry;
  /** Steps per workflow run before the loop hands back a carry to continue as new. @default {@link DEFAULT_STEPS_PER_RUN} */
  stepsPerRun?: number;
  /** A ceiling on the context budget below the worker's (see `loopBudgetTokens`). */
  contextMaxTokens?: number;
  /** What summaries of older steps keep above all. @default the content of the last user message of `messages` */
  goal?: string;
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
  /** A summary of older steps was made by a model: its usage and route. */
  onSummary?(usage: Partial<Usage>, route: RouteDecision): void;
  /** Something the task's result should mention. */
  onNote?(note: string): void;
}

/** How the loop ended. */
export interface AgentLoopOutcome {
  finished: boolean;
  answer: string;
  /** Why the loop stopped without an answer. */
  stopReason?: string;
  /** Set when the loop ended on something it cannot call an answer (see `LoopGuards`). */
  failure?: LoopFailure;
  /**
   * Set when the loop paused for continue-as-new (`finished` is false): the workflow starts
   * its next run with this as `resume`.
   */
  carry?: AgentLoopCarry;
  /** The messages the next call would have been sent (compressed). */
  messages: ChatMessage[];
}

function toolMessage(result: ToolCallResult): ChatMessage {
  const content = result.ok
    ? result.output
    : JSON.stringify({ error: result.error.type, message: result.error.message });
  return { role: 'tool', toolCallId: result.callId, content };
}

function goalOf(messages: readonly ChatMessage[]): string {
  const goal = [...messages].reverse().find((message) => message.role === 'user');
  return goal?.content ?? '';
}

function continueAsNewDue(stepsThisRun: number, stepsPerRun: number | undefined): boolean {
  if (stepsThisRun === 0) return false;
  return workflowInfo().continueAsNewSuggested || stepsThisRun >= (stepsPerRun ?? DEFAULT_STEPS_PER_RUN);
}

/** What one step's model call needs besides the loop's own state. */
interface StepCallContext {
  step: number;
  input: AgentLoopInput;
  observer: AgentLoopObserver;
  memory: LoopWorkingMemory;
  guards: LoopGuards;
  toolDefinitions: ToolDefinition[];
  /** False when replaying a history from before {@link WORKING_MEMORY_PATCH}: no compression, no retry. */
  workingMemory: boolean;
}

type StepCall =
  { called: RoutedCallOutcome; messages: ChatMessage[]; stop?: undefined } | { stop: string; failure?: LoopFailure };

/**
 * The model call of one step within the context budget: compress, call, and after a
 * provider's "context too long" lower the budget, compress harder and call again, up to
 * {@link MAX_CONTEXT_RETRIES} times and only while the request gets smaller.
 */
async function callStepModel(context: StepCallContext): Promise<StepCall> {
  const { step, input, observer, memory, guards, toolDefinitions } = context;
  let rejected: { tokens: number; message: string; retries: number } | undefined;
  for (;;) {
    if (context.workingMemory && (await memory.fit()).changed) guards.contextReplaced();
    if (rejected !== undefined && memory.estimate() >= rejected.tokens) {
      const message =
        `the prompt is too long for the model even after compressing the task's working memory ` +
        `${rejected.retries} time${rejected.retries === 1 ? '' : 's'} (about ${memory.estimate()} tokens left that are never cut: ` +
        `the system prompt, the goal and context, instructions and the latest step; last answer: ${rejected.message}): ` +
        'shorten the goal or its context, or use a model with a larger context window';
      return { stop: message, failure: { type: FailureType.ModelContextTooLong, message } };
    }
    const messages = memory.messages();
    const allowance = guards.beforeModelCall(messages, toolDefinitions);
    if (allowance.stop !== undefined) return { stop: allowance.stop };
    observer.onModelCall(step);
    try {
      const called = await callModelRouted({
        selection: input.selection,
        purpose: 'step',
        hint: input.hint,
        messages,
        tools: toolDefinitions,
        maxOutputTokens: allowance.maxOutputTokens,
        contextTokens: estimateMessagesTokens(messages),
        label: `step ${step}`,
      });
      return { called, messages };
    } catch (error) {
      const tooLong = context.workingMemory ? contextTooLongOf(error) : undefined;
      if (tooLong === undefined) throw error;
      const retries = (rejected?.retries ?? 0) + 1;
      const tokens = memory.estimate();
      if (retries > MAX_CONTEXT_RETRIES) {
        const message =
          `the prompt was still too long for the model after ${MAX_CONTEXT_RETRIES} compressed retries ` +
          `(last about ${tokens} tokens: ${tooLong.message}): shorten the goal or its context, or use a model with a larger context window`;
        return { stop: message, failure: { type: FailureType.ModelContextTooLong, message } };
      }
      memory.lowerBudget(tokens);
      rejected = { tokens, message: tooLong.message, retries };
    }
  }
}

/**
 * The agent loop: model → tools → model … until the model answers without tool calls, the
 * step budget runs out or the caller's budget is spent. Every model call is routed (or
 * pinned); tool calls of one turn run as parallel activities. The messages live in a
 * working memory kept within the context budget ({@link LoopWorkingMemory}); after
 * `stepsPerRun` steps (or when the server suggests it) the loop returns a `carry` for the
 * workflow to continue as new with.
 */
export async function runAgentLoop(input: AgentLoopInput, observer: AgentLoopObserver): Promise<AgentLoopOutcome> {
  const workingMemory = patched(WORKING_MEMORY_PATCH);
  const toolDefinitions = input.tools.map(({ name, description, parameters }) => ({ name, description, parameters }));
  const memory = new LoopWorkingMemory(
    input.resume?.memory ?? newLoopMemory(input.messages, loopBudgetTokens(input.selection, input.contextMaxTokens)),
    {
      tools: toolDefinitions,
      focus: input.goal ?? goalOf(input.messages),
      selection: input.selection,
      onSummaryCall: (usage, route) => observer.onSummary?.(usage, route),
      onNote: (note) => observer.onNote?.(note),
    },
  );
  let lastContent = input.resume?.lastContent ?? '';
  const guards = new LoopGuards(() => observer.tokensLeft(), input.resume?.malformedSteps);
  const firstStep = input.resume?.nextStep ?? 1;
  const ended = (outcome: Omit<AgentLoopOutcome, 'messages'>): AgentLoopOutcome => ({
    ...outcome,
    messages: memory.messages(),
  });
  for (let step = firstStep; step <= input.maxSteps; step++) {
    const exhausted = observer.budgetExhausted();
    if (exhausted !== undefined) return ended({ finished: false, answer: lastContent, stopReason: exhausted });
    if (workingMemory && continueAsNewDue(step - firstStep, input.stepsPerRun)) {
      const carry = {
        nextStep: step,
        lastContent,
        malformedSteps: guards.malformedStepsInARow,
        memory: memory.snapshot(),
      };
      return ended({ finished: false, answer: lastContent, carry });
    }
    memory.beginStep(step);
    for (const instruction of observer.takeNewInstructions()) {
      memory.add({ role: 'user', content: `Additional instruction from the user: ${instruction}` });
    }
    const call = await callStepModel({ step, input, observer, memory, guards, toolDefinitions, workingMemory });
    if (call.stop !== undefined) {
      return ended({ finished: false, answer: lastContent, stopReason: call.stop, failure: call.failure });
    }
    const { result, route, usage, problem } = call.called;
    guards.afterModelCall(result, call.messages.length);
    if (workingMemory && result.cached !== true) memory.observe(call.messages, result.usage.inputTokens);
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
      memory.add({ role: 'assistant', content: result.content });
      const failure = guards.finalAnswerFailure(problem, route);
      if (failure !== undefined) return ended({ finished: false, answer: '', stopReason: failure.message, failure });
      return ended({ finished: true, answer: result.content ?? '' });
    }
    memory.add({ role: 'assistant', content: result.content, toolCalls: result.toolCalls });
    observer.onToolCalls(step, result.toolCalls);
    const toolResults = await Promise.all(
      result.toolCalls.map((call, index) =>
        runToolCall(call, input.tools, { step, index: index + 1 }, observer.gate, (outcome) =>
          observer.onUnknownOutcome?.(outcome),
        ),
      ),
    );
    record.toolCalls = toolResults.map((toolResult) => ({ name: toolResult.name, ok: toolResult.ok }));
    observer.onStep(record, {
      ...usage,
      toolCalls: toolResults.length,
      cacheHits: toolResults.filter((toolResult) => toolResult.ok && toolResult.cached).length,
    });
    for (const toolResult of toolResults)
      memory.add(toolMessage(toolResult), toolResult.ok ? toolResult.outputRef : undefined);
    const failure = guards.toolResultsFailure(toolResults);
    if (failure !== undefined)
      return ended({ finished: false, answer: lastContent, stopReason: failure.message, failure });
  }
  return ended({
    finished: false,
    answer: lastContent,
    stopReason: `the step budget (${input.maxSteps} steps) ran out`,
  });
}
