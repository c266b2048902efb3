import type { Budget } from '../contracts/budget';
import type { Usage } from '../contracts/usage';
import { totalTokens } from '../shared/usage';

/** Why a budget is spent, or undefined while there is room. Pure. */
export function budgetExhausted(
  budget: Budget,
  spent: { usage: Usage; steps: number; elapsedMs: number },
): string | undefined {
  const tokens = totalTokens(spent.usage);
  if (budget.maxSteps !== undefined && spent.steps >= budget.maxSteps)
    return `the step budget (${budget.maxSteps} steps) ran out`;
  if (budget.maxTokens !== undefined && tokens >= budget.maxTokens) {
    return `the token budget (${budget.maxTokens} tokens) ran out after ${tokens} tokens`;
  }
  if (budget.maxCostUsd !== undefined && spent.usage.costUsd >= budget.maxCostUsd) {
    return `the cost budget ($${budget.maxCostUsd}) ran out after $${spent.usage.costUsd.toFixed(6)}`;
  }
  if (budget.maxDurationMs !== undefined && spent.elapsedMs >= budget.maxDurationMs) {
    return `the time budget (${Math.round(budget.maxDurationMs / 1000)} s) ran out`;
  }
  return undefined;
}

/** What is left of a budget after some usage and time, for a subtask. */
export function remainingBudget(budget: Budget, spent: { usage: Usage; elapsedMs: number }): Budget {
  const tokens = totalTokens(spent.usage);
  return {
    maxSteps: budget.maxSteps,
    maxTokens: budget.maxTokens === undefined ? undefined : Math.max(0, budget.maxTokens - tokens),
    maxCostUsd:
      budget.maxCostUsd === undefined
        ? undefined
        : Math.max(0, Math.round((budget.maxCostUsd - spent.usage.costUsd) * 1e10) / 1e10),
    maxDurationMs: budget.maxDurationMs === undefined ? undefined : Math.max(0, budget.maxDurationMs - spent.elapsedMs),
  };
}

/** What a running child holds of its parent's budget until it ends. */
export interface BudgetReservation {
  tokens: number;
  costUsd: number;
}

/** Nothing reserved. */
export const NO_RESERVATION: BudgetReservation = { tokens: 0, costUsd: 0 };

/** The sum of reservations. */
export function totalReserved(reservations: Iterable<BudgetReservation>): BudgetReservation {
  let tokens = 0;
  let costUsd = 0;
  for (const reservation of reservations) {
    tokens += reservation.tokens;
    costUsd += reservation.costUsd;
  }
  return { tokens, costUsd: Math.round(costUsd * 1e10) / 1e10 };
}

/**
 * The share of a parent's budget a child gets when it starts, so children running in
 * parallel cannot spend more than the parent has: what is available (budget − spent −
 * reserved for running children) divided by the shares still needed (this child, the
 * subtasks not yet started, and the synthesis). The parent reserves the share while the
 * child runs and releases what it did not spend when it ends. Steps stay per loop, and
 * wall-clock time is shared by the clock itself, so both pass through as they are. Pure.
 */
export function childShare(
  budget: Budget,
  spent: { usage: Usage; elapsedMs: number },
  reserved: BudgetReservation,
  sharesNeeded: number,
): Budget {
  const left = remainingBudget(budget, spent);
  const shares = Math.max(1, sharesNeeded);
  return {
    maxSteps: left.maxSteps,
    maxTokens:
      left.maxTokens === undefined ? undefined : Math.max(0, Math.floor((left.maxTokens - reserved.tokens) / shares)),
    maxCostUsd:
      left.maxCostUsd === undefined
        ? undefined
        : Math.max(0, Math.floor(((left.maxCostUsd - reserved.costUsd) / shares) * 1e10) / 1e10),
    maxDurationMs: left.maxDurationMs,
  };
}

/** The reservation a child's share stands for. */
export function reservationOf(share: Budget): BudgetReservation {
  return { tokens: share.maxTokens ?? 0, costUsd: share.maxCostUsd ?? 0 };
}

/** True when a share leaves a child nothing to spend (a token or cost limit of zero). */
export function shareIsEmpty(share: Budget): boolean {
  return share.maxTokens === 0 || share.maxCostUsd === 0;
}

/** Fewest output tokens worth a model call: with less room the answer would be cut off mid-sentence. */
export const MIN_OUTPUT_TOKENS = 16;

/** Whether the next model call fits a token budget, and how many output tokens it may use. */
export type CallAllowance = { stop: string } | { stop?: undefined; maxOutputTokens?: number };

/**
 * Keeps one loop from overshooting its token budget by a whole call: a call whose expected
 * input alone leaves fewer than {@link MIN_OUTPUT_TOKENS} of what is left is not made, and
 * a call that is made may use the rest as output (`max_tokens`). Without a token limit
 * every call is allowed, uncapped. Pure.
 */
export function modelCallAllowance(tokensLeft: number | undefined, expectedInputTokens: number): CallAllowance {
  if (tokensLeft === undefined) return {};
  const room = tokensLeft - expectedInputTokens;
  if (room < MIN_OUTPUT_TOKENS) {
    return {
      stop: `the token budget ran out: ${Math.max(0, tokensLeft)} tokens left, and the next model call needs about ${expectedInputTokens} input tokens`,
    };
  }
  return { maxOutputTokens: room };
}
