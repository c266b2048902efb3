import type { Budget } from '../contracts/budget';
import type { Usage } from '../contracts/usage';

/** Why a budget is spent, or undefined while there is room. Pure. */
export function budgetExhausted(
  budget: Budget,
  spent: { usage: Usage; steps: number; elapsedMs: number },
): string | undefined {
  const tokens = spent.usage.inputTokens + spent.usage.outputTokens;
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
  const tokens = spent.usage.inputTokens + spent.usage.outputTokens;
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
