import { ActivityFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChatMessage, ToolDefinition } from '../contracts/messages';
import type { ModelSelection, RouteDecision } from '../contracts/models';
import { usageOfModelCall, type Usage } from '../contracts/usage';
import type { LoopMemoryState } from '../contracts/working-memory';
import { rootCauseMessage } from '../shared/root-cause';
import { stepSummary } from './activity-options';
import {
  applyCompaction,
  applyFold,
  applySummaryCompression,
  digestSteps,
  estimateLoopRequest,
  loopMessages,
  observeRequest,
  planLoopContext,
  rawRequestTokens,
} from './context/loop-context';
import { routeCall } from './routing/choose-tier';

const { summarize } = proxyActivities<Activities>(stepSummary);

/** Compression rounds before one model call: a plan converges in one or two; the cap guards a summary that will not shrink. */
const MAX_COMPRESSION_ROUNDS = 4;

/**
 * After a provider answered "context too long", the budget becomes this share of the
 * smaller of the budget and the rejected request: the provider's real limit is below both.
 */
const CONTEXT_TOO_LONG_SHARE = 0.5;

/** Summaries smaller than this are not asked of a model (nothing useful fits): a digest instead. */
const MIN_MODEL_SUMMARY_TOKENS = 64;

/** What the working memory needs from its loop. */
export interface LoopWorkingMemoryOptions {
  /** Tool definitions sent with every call (they count against the budget). */
  tools: readonly ToolDefinition[];
  /** What summaries must keep above all: the task's goal. */
  focus: string;
  selection: ModelSelection;
  /** Each summarizer call's usage and route, for the task's totals. */
  onSummaryCall?(usage: Partial<Usage>, route: RouteDecision): void;
  /** Something the task result should mention (the summarizer was unavailable). */
  onNote?(note: string): void;
}

/** What {@link LoopWorkingMemory.fit} did. */
export interface FitOutcome {
  /** True when messages were compacted, folded or re-summarized. */
  changed: boolean;
  /** Calibrated estimate of the request now. */
  estimatedTokens: number;
  budgetTokens: number;
}

/**
 * The agent loop's messages, kept within the context budget. The loop adds messages step
 * by step; before each model call `fit` compresses (see `planLoopContext`): long tool
 * results of older steps become excerpts with their stored output's reference, the oldest
 * steps are folded into a summary by the small model (the `summarize` activity; a plain
 * digest when it is unavailable), and the head (system prompt, context, goal) and the
 * instructions are never cut.
 */
export class LoopWorkingMemory {
  private summarizerUnavailable = false;

  constructor(
    private state: LoopMemoryState,
    private readonly options: LoopWorkingMemoryOptions,
  ) {}

  /** The state to carry into a continued run. */
  snapshot(): LoopMemoryState {
    return this.state;
  }

  /** The messages of the next request. */
  messages(): ChatMessage[] {
    return loopMessages(this.state);
  }

  get budgetTokens(): number {
    return this.state.budgetTokens;
  }

  /** Opens a step: the messages added next belong to it. */
  beginStep(step: number): void {
    this.state.steps.push({ step, messages: [] });
  }

  /** Adds a message to the open step; `outputRef` names the stored full output of a tool result that is an excerpt. */
  add(message: ChatMessage, outputRef?: string): void {
    const current = this.state.steps.at(-1);
    if (current === undefined) {
      this.state.head.push(message);
      return;
    }
    current.messages.push(message);
    if (outputRef !== undefined && message.role === 'tool') {
      current.outputRefs = { ...current.outputRefs, [message.toolCallId]: outputRef };
    }
  }

  /** Uncalibrated estimate of the messages with the tools, as sent. */
  rawEstimate(messages: readonly ChatMessage[]): number {
    return rawRequestTokens(messages, this.options.tools);
  }

  /** Folds the provider's count of a request that was sent into the token calibration. */
  observe(messages: readonly ChatMessage[], reportedTokens: number): void {
    this.state = observeRequest(this.state, { estimatedTokens: this.rawEstimate(messages), reportedTokens });
  }

  /** Compresses until the next request is within the budget, or nothing is left to compress. */
  async fit(): Promise<FitOutcome> {
    let changed = false;
    for (let round = 0; round < MAX_COMPRESSION_ROUNDS; round++) {
      const plan = planLoopContext(this.state, { tools: this.options.tools });
      if (plan.compact.length === 0 && plan.fold === null && plan.compressSummary === null) break;
      changed = true;
      if (plan.compact.length > 0) this.state = applyCompaction(this.state, plan.compact);
      if (plan.fold !== null) {
        const text = await this.summarize(plan.fold.messages, plan.fold.targetTokens, plan.fold.throughStep);
        this.state = applyFold(this.state, plan.fold.throughStep, text);
      } else if (plan.compressSummary !== null) {
        const text = await this.summarize([], plan.compressSummary.targetTokens, this.state.summary?.throughStep ?? 0);
        this.state = applySummaryCompression(this.state, text);
      }
    }
    return {
      changed,
      estimatedTokens: estimateLoopRequest(this.state, this.options.tools),
      budgetTokens: this.state.budgetTokens,
    };
  }

  /**
   * The provider answered that a request of about `rejectedTokens` (our estimate) was too
   * long: the budget drops for the rest of the task, so the next `fit` compresses harder
   * and later steps stay under the provider's real limit.
   */
  lowerBudget(rejectedTokens: number): void {
    const lowered = Math.floor(Math.min(this.state.budgetTokens, rejectedTokens) * CONTEXT_TOO_LONG_SHARE);
    this.state = { ...this.state, budgetTokens: Math.max(1, lowered) };
  }

  /** The estimate of the next request with the current calibration. */
  estimate(): number {
    return estimateLoopRequest(this.state, this.options.tools);
  }

  private route(contextTokens: number): RouteDecision {
    const selection = this.options.selection;
    if (selection.kind === 'pinned') {
      return { purpose: 'summarize', tier: 'pinned', model: selection.model, reason: 'model pinned by the task' };
    }
    return routeCall(selection.models, { purpose: 'summarize', contextTokens, toolCount: 0, failures: 0 });
  }

  /**
   * Folds `messages` (or, with none, the summary alone) into a new summary of at most
   * `targetTokens`, with the small model; a plain digest when it cannot be asked or fails.
   */
  private async summarize(messages: ChatMessage[], targetTokens: number, throughStep: number): Promise<string> {
    const previous = this.state.summary?.text;
    if (targetTokens >= MIN_MODEL_SUMMARY_TOKENS && !this.summarizerUnavailable) {
      const route = this.route(this.rawEstimate(messages));
      try {
        const result = await summarize.executeWithOptions({ summary: `summarize steps 1-${throughStep}` }, [
          { model: route.model, previousSummary: previous, messages, targetTokens, focus: this.options.focus },
        ]);
        const { model, inputTokens, cachedInputTokens, outputTokens, costUsd } = result.usage;
        this.options.onSummaryCall?.(
          usageOfModelCall({ model, usage: { inputTokens, cachedInputTokens, outputTokens }, costUsd }, route.tier),
          route,
        );
        return result.summary;
      } catch (error) {
        if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
        // Not asked again in this run: every later fold would wait for the same failure.
        this.summarizerUnavailable = true;
        this.options.onNote?.(
          `older steps were kept as a plain digest because the small model could not summarize them (${rootCauseMessage(error)})`,
        );
      }
    }
    return digestSteps(previous, messages, Math.max(16, targetTokens));
  }
}
