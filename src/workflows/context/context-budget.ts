/**
 * The token budget of one model call and how it is shared out. Pure and sandbox-safe.
 */

/** How much of a model's context window a call may use, and how it is divided. */
export interface ContextBudgetOptions {
  /** The model's context window in tokens (from the model catalog). */
  contextWindow: number;
  /**
   * Share of the window the prompt may fill; the rest is headroom for the reply and for
   * estimate error. Long prompts also cost more and dilute the model's attention.
   * @default 0.5
   */
  share?: number;
  /**
   * Absolute ceiling on the prompt, whatever the window: a 1M-token window does not mean
   * a turn should send 500k tokens. @default no ceiling
   */
  maxTokens?: number;
  /** Tokens always left free in the window for the reply. @default 4096 */
  reservedForOutput?: number;
  /** Share of the budget for the running summary of older turns. @default 0.15 */
  summaryShare?: number;
  /** Share of the budget for retrieved memories. @default 0.15 */
  memoryShare?: number;
  /**
   * When older turns must be summarized, recent turns are kept up to this share of the
   * turn budget, so summarization runs every few turns rather than at every turn.
   * @default 0.6
   */
  verbatimTargetShare?: number;
}

/** The budget of one call in tokens, split into its parts. */
export interface ContextBudget {
  /** Most tokens the prompt may have. */
  total: number;
  summary: number;
  memories: number;
  verbatimTargetShare: number;
}

const DEFAULTS = {
  share: 0.5,
  reservedForOutput: 4096,
  summaryShare: 0.15,
  memoryShare: 0.15,
  verbatimTargetShare: 0.6,
} as const;

function fraction(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!(chosen >= 0 && chosen <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${chosen}`);
  return chosen;
}

/**
 * Computes the budget of a call: `min(window × share, maxTokens, window − reservedForOutput)`.
 *
 * @throws RangeError when a share is outside 0..1 or the window is not positive, because a
 *   misconfigured budget would otherwise silently send empty or oversized prompts.
 */
export function contextBudget(options: ContextBudgetOptions): ContextBudget {
  if (!(options.contextWindow > 0)) {
    throw new RangeError(`contextWindow must be a positive number of tokens, got ${options.contextWindow}`);
  }
  const share = fraction(options.share, DEFAULTS.share, 'share');
  const summaryShare = fraction(options.summaryShare, DEFAULTS.summaryShare, 'summaryShare');
  const memoryShare = fraction(options.memoryShare, DEFAULTS.memoryShare, 'memoryShare');
  if (summaryShare + memoryShare > 1) {
    throw new RangeError(`summaryShare + memoryShare must not exceed 1, got ${summaryShare + memoryShare}`);
  }
  const reserved = Math.min(options.reservedForOutput ?? DEFAULTS.reservedForOutput, options.contextWindow);
  const total = Math.max(
    0,
    Math.floor(
      Math.min(options.contextWindow * share, options.maxTokens ?? Infinity, options.contextWindow - reserved),
    ),
  );
  return {
    total,
    summary: Math.floor(total * summaryShare),
    memories: Math.floor(total * memoryShare),
    verbatimTargetShare: fraction(options.verbatimTargetShare, DEFAULTS.verbatimTargetShare, 'verbatimTargetShare'),
  };
}
