/** Prices in USD per million tokens. */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

/** What the worker knows about one model. */
export interface ModelEntry {
  id: string;
  price: ModelPrice;
  contextWindow: number;
}

/**
 * Built-in prices (USD per 1M tokens, from the providers' public price lists) for models a
 * user is likely to name. A model not listed here can still be called; its cost is
 * reported as unknown (0) rather than guessed.
 */
const BUILT_IN: ModelEntry[] = [
  { id: 'gpt-4.1', price: { input: 2, cachedInput: 0.5, output: 8 }, contextWindow: 1_047_576 },
  { id: 'gpt-4.1-mini', price: { input: 0.4, cachedInput: 0.1, output: 1.6 }, contextWindow: 1_047_576 },
  { id: 'gpt-4.1-nano', price: { input: 0.1, cachedInput: 0.025, output: 0.4 }, contextWindow: 1_047_576 },
  { id: 'gpt-4o', price: { input: 2.5, cachedInput: 1.25, output: 10 }, contextWindow: 128_000 },
  { id: 'gpt-4o-mini', price: { input: 0.15, cachedInput: 0.075, output: 0.6 }, contextWindow: 128_000 },
];

/** Looks up models by id. */
export class ModelCatalog {
  private readonly entries: Map<string, ModelEntry>;

  constructor(entries: ModelEntry[] = BUILT_IN) {
    this.entries = new Map(entries.map((entry) => [entry.id, entry]));
  }

  /** The entry for `id`, or undefined when the model is not in the catalog. */
  get(id: string): ModelEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * Cost in USD of one call. Cached input tokens are a subset of input tokens (as the
   * OpenAI API reports them) and are billed at the cached price.
   */
  costOf(id: string, usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number }): number {
    const entry = this.entries.get(id);
    if (entry === undefined) return 0;
    const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
    const dollars =
      uncached * entry.price.input +
      usage.cachedInputTokens * entry.price.cachedInput +
      usage.outputTokens * entry.price.output;
    return dollars / 1_000_000;
  }
}
