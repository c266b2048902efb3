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
  /** One vector per text, in order. */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}
