import { createHash } from 'node:crypto';
import type { EmbedderDescription } from '../../contracts/memory';
import type { EmbedOptions, Embedder } from './embedder';

/** Options of {@link CachingEmbedder}. */
export interface CachingEmbedderOptions {
  /**
   * Most bytes of vectors kept (4 per dimension). The default holds about 2,700 vectors of
   * 1,536 dimensions: far more than the writes a worker retries at once.
   * @default 16 MiB
   */
  maxBytes?: number;
}

/**
 * Remembers the vectors of recent texts in this process, keyed by a hash of the text and
 * the embedder's name and dimension, so an activity retried after a later step failed
 * (MongoDB down after the embeddings came back) does not pay the embeddings endpoint again.
 * Texts of one call that are already known are not sent; the others go in one request.
 *
 * What it does not cover: a retry that lands on another worker process, or on this one
 * after a restart, embeds again (the cache is in memory); and two calls embedding the same
 * text at the same moment both reach the endpoint. Bounded: least recently used vectors
 * are dropped first.
 */
export class CachingEmbedder implements Embedder {
  readonly description: EmbedderDescription;
  private readonly maxBytes: number;
  /** Insertion order is recency order: a hit is moved to the end. */
  private readonly vectors = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(
    private readonly inner: Embedder,
    options: CachingEmbedderOptions = {},
  ) {
    this.description = inner.description;
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const keys = texts.map((text) => this.key(text));
    const missing: number[] = [];
    const found: (Float32Array | undefined)[] = keys.map((key, position) => {
      const vector = this.lookup(key);
      if (vector === undefined) missing.push(position);
      return vector;
    });
    // Each new text once, even when a call repeats it.
    const firstPositions = new Map<string, number>();
    for (const position of missing) {
      const key = keys[position] as string;
      if (!firstPositions.has(key)) firstPositions.set(key, position);
    }
    if (firstPositions.size > 0) {
      const missingKeys = [...firstPositions.keys()];
      const fresh = await this.inner.embed(
        [...firstPositions.values()].map((position) => texts[position] as string),
        options,
      );
      const byKey = new Map(missingKeys.map((key, index) => [key, fresh[index]]));
      for (const [key, vector] of byKey) if (vector !== undefined) this.store(key, vector);
      for (const position of missing) found[position] = byKey.get(keys[position] as string);
    }
    // Copies: callers normalize vectors in place, and a cached vector must not change.
    return found.map((vector) => {
      if (vector === undefined) throw new Error(`embedder ${this.description.name} returned fewer vectors than texts`);
      return Float32Array.from(vector);
    });
  }

  /** How many vectors are cached (for tests and diagnostics). */
  get size(): number {
    return this.vectors.size;
  }

  private key(text: string): string {
    const { name, dimensions } = this.description;
    return createHash('sha256').update(`${name}\u0000${dimensions}\u0000${text}`).digest('base64url');
  }

  private lookup(key: string): Float32Array | undefined {
    const vector = this.vectors.get(key);
    if (vector === undefined) return undefined;
    this.vectors.delete(key);
    this.vectors.set(key, vector);
    return vector;
  }

  private store(key: string, vector: Float32Array): void {
    const size = vector.byteLength;
    if (size > this.maxBytes) return;
    const previous = this.vectors.get(key);
    if (previous !== undefined) {
      this.vectors.delete(key);
      this.bytes -= previous.byteLength;
    }
    this.vectors.set(key, Float32Array.from(vector));
    this.bytes += size;
    for (const [oldestKey, oldest] of this.vectors) {
      if (this.bytes <= this.maxBytes) break;
      this.vectors.delete(oldestKey);
      this.bytes -= oldest.byteLength;
    }
  }
}
