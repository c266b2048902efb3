import type { EmbedderDescription } from '../../contracts/memory';

/** Options of one {@link Embedder.embed} call. */
export interface EmbedOptions {
  /** Cancels the call (the activity's cancellation signal). */
  signal?: AbortSignal;
}

/**
 * Turns texts into vectors. Every vector an embedder returns has `description.dimensions`
 * entries; the name and dimension are stored with each vector so vectors of different
 * embedders are never compared.
 */
export interface Embedder {
  readonly description: EmbedderDescription;
  /**
   * What closeness of its vectors means: `semantic` (a trained model: paraphrases are close)
   * or `lexical` (shared words and spellings, like feature hashing). Search weighs the
   * vector signal by it (see `signal-weights.ts`). @default 'semantic'
   */
  readonly similarity?: 'semantic' | 'lexical';
  /**
   * Weight of its vector ranking against BM25's (1) in hybrid search, when it was measured
   * for this embedder. @default by {@link similarity}: 1 for semantic, 0.1 for lexical
   */
  readonly fusionWeight?: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}
