import { addCost, addUsageLines } from '../shared/usage';
import type { UsageLine } from './models';

/** Token and cost totals of a task, with the split by model and by tier. */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  modelCalls: number;
  toolCalls: number;
  /** Tool calls served from the result cache. */
  cacheHits: number;
  /** Small-model outputs that failed validation and went to a larger tier. */
  escalations: number;
  /** Moves down a fallback chain after a model failed. */
  fallbacks: number;
  byModel: Record<string, UsageLine>;
  byTier: Record<string, UsageLine>;
}

/** A zero {@link Usage}. */
export function emptyUsage(): Usage {
  return {
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    modelCalls: 0,
    toolCalls: 0,
    cacheHits: 0,
    escalations: 0,
    fallbacks: 0,
    byModel: {},
    byTier: {},
  };
}

/** Adds `extra` (a child's usage, or a partial count) to `total` and returns a new object. */
export function addUsage(total: Usage, extra: Partial<Usage>): Usage {
  return {
    inputTokens: total.inputTokens + (extra.inputTokens ?? 0),
    cachedInputTokens: total.cachedInputTokens + (extra.cachedInputTokens ?? 0),
    outputTokens: total.outputTokens + (extra.outputTokens ?? 0),
    costUsd: addCost(total.costUsd, extra.costUsd ?? 0),
    modelCalls: total.modelCalls + (extra.modelCalls ?? 0),
    toolCalls: total.toolCalls + (extra.toolCalls ?? 0),
    cacheHits: total.cacheHits + (extra.cacheHits ?? 0),
    escalations: total.escalations + (extra.escalations ?? 0),
    fallbacks: total.fallbacks + (extra.fallbacks ?? 0),
    byModel: addUsageLines(total.byModel, extra.byModel),
    byTier: addUsageLines(total.byTier, extra.byTier),
  };
}

/** The usage of one model call, attributed to its model and tier. */
export function usageOfModelCall(
  result: {
    model: string;
    usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
    costUsd: number;
  },
  tier: string,
): Partial<Usage> {
  const line: UsageLine = { calls: 1, ...result.usage, costUsd: result.costUsd };
  return {
    ...result.usage,
    costUsd: result.costUsd,
    modelCalls: 1,
    byModel: { [result.model]: line },
    byTier: { [tier]: line },
  };
}
