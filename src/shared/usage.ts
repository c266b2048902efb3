/**
 * The one usage arithmetic: adding costs, per-model and per-tier lines, and counting a
 * task's tokens. The task's own usage (`src/contracts/usage.ts`, inside workflows) and the
 * `chassis usage` report add with these same functions, so both round the same way.
 * Pure and sandbox-safe.
 */
import type { UsageLine } from '../contracts/models';

/**
 * `a + b` in USD, rounded to 1e-10 USD: hides float noise in sums without losing a cheap
 * call's cost.
 */
export function addCost(a: number, b: number): number {
  return Math.round((a + b) * 1e10) / 1e10;
}

/** `total + extra`, field by field, as a new line; a missing `total` counts as zero. */
export function addUsageLine(total: UsageLine | undefined, extra: UsageLine): UsageLine {
  const base = total ?? { calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0 };
  return {
    calls: base.calls + extra.calls,
    inputTokens: base.inputTokens + extra.inputTokens,
    cachedInputTokens: base.cachedInputTokens + extra.cachedInputTokens,
    outputTokens: base.outputTokens + extra.outputTokens,
    costUsd: addCost(base.costUsd, extra.costUsd),
  };
}

/** Adds `extra`'s lines into a copy of `total`, key by key (a model or a tier name). */
export function addUsageLines(
  total: Readonly<Record<string, UsageLine>>,
  extra: Readonly<Record<string, UsageLine>> | undefined,
): Record<string, UsageLine> {
  const sum = { ...total };
  for (const [key, line] of Object.entries(extra ?? {})) sum[key] = addUsageLine(sum[key], line);
  return sum;
}

/** Input plus output tokens: what budgets, search attributes and reports count as tokens. */
export function totalTokens(usage: { inputTokens: number; outputTokens: number }): number {
  return usage.inputTokens + usage.outputTokens;
}
