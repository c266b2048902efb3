import type { EmbedderDescription } from '../../contracts/memory';
import type { Embedder } from './embedder';

/** Options of {@link HashedNgramEmbedder}. */
export interface HashedNgramEmbedderOptions {
  /** Vector length; more dimensions mean fewer hash collisions. @default 256 */
  dimensions?: number;
}

/** Version of the feature recipe; part of the name so vectors of another recipe are never mixed in. */
const RECIPE = 'hashed-ngram-v1';

/** Very common English words: weighted down so they do not dominate similarity, not dropped, so "to be or not to be" still embeds. */
const COMMON_WORDS = new Set(
  'a an and are as at be but by for from has have he her his i in is it its me my not of on or our she so that the their them they this to was we were what when which who will with you your'.split(
    ' ',
  ),
);

/** 32-bit FNV-1a: tiny, fast, and the same on every platform and run. */
function hashFeature(feature: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < feature.length; index += 1) {
    hash ^= feature.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Lower-cased words with diacritics removed, so "Café" and "cafe" share features. */
export function embeddingWords(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * A local, deterministic embedder that needs no model and no download: feature hashing of
 * words (weight 1, common words 0.25), word pairs (0.5) and character trigrams of words
 * (0.25, so "embedding" and "embeddings" are close). Signed hashing lets colliding
 * features cancel out on average. Vectors are L2-normalized.
 *
 * It captures shared vocabulary, not meaning: paraphrases with different words are far
 * apart. Use it offline, in tests and benchmarks, or as a lexical-ish fallback.
 */
export class HashedNgramEmbedder implements Embedder {
  readonly description: EmbedderDescription;
  readonly similarity = 'lexical';

  constructor(options: HashedNgramEmbedderOptions = {}) {
    const dimensions = options.dimensions ?? 256;
    if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 8192) {
      throw new RangeError(`hashed n-gram embedder dimensions must be an integer from 8 to 8192, got ${dimensions}`);
    }
    this.description = { name: RECIPE, dimensions };
  }

  /** Embeds one text synchronously; {@link embed} wraps it. */
  embedOne(text: string): Float32Array {
    const dimensions = this.description.dimensions;
    const vector = new Float32Array(dimensions);
    const add = (feature: string, weight: number): void => {
      const hash = hashFeature(feature);
      const bucket = hash % dimensions;
      vector[bucket] = (vector[bucket] as number) + ((hash & 0x80000000) === 0 ? weight : -weight);
    };
    const words = embeddingWords(text);
    words.forEach((word, index) => {
      add(`w:${word}`, COMMON_WORDS.has(word) ? 0.25 : 1);
      const next = words[index + 1];
      if (next !== undefined) add(`b:${word} ${next}`, 0.5);
      const padded = ` ${word} `;
      for (let start = 0; start + 3 <= padded.length; start += 1) add(`c:${padded.slice(start, start + 3)}`, 0.25);
    });
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm);
    // A text without words gets the first unit vector, so cosine similarity stays defined.
    if (norm === 0) {
      vector[0] = 1;
      return vector;
    }
    for (let index = 0; index < dimensions; index += 1) vector[index] = (vector[index] ?? 0) / norm;
    return vector;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }
}
