/** Token and cost totals; summed across model calls. */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
  modelCalls: number;
  toolCalls: number;
}

/** A zero {@link Usage}. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0 };
}

/** Adds `extra` to `total` and returns a new object. */
export function addUsage(total: Usage, extra: Partial<Usage>): Usage {
  return {
    inputTokens: total.inputTokens + (extra.inputTokens ?? 0),
    cachedInputTokens: total.cachedInputTokens + (extra.cachedInputTokens ?? 0),
    outputTokens: total.outputTokens + (extra.outputTokens ?? 0),
    // Rounded to 1e-10 USD: hides float noise in sums without losing a cheap call's cost.
    costUsd: Math.round((total.costUsd + (extra.costUsd ?? 0)) * 1e10) / 1e10,
    modelCalls: total.modelCalls + (extra.modelCalls ?? 0),
    toolCalls: total.toolCalls + (extra.toolCalls ?? 0),
  };
}
