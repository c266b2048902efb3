import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import { z } from 'zod';

import { estimateTokens } from './reply-builder';

/**
 * Deterministic pseudo-embeddings for the scripted model server. Not semantic: texts that
 * share words and word pieces get similar vectors, which is enough to exercise vector
 * search, ranking and caching code without a model.
 */

/** The embeddings request fields the server reads; loose so any OpenAI-compatible client gets through. */
export const embeddingsRequestSchema = z.looseObject({
  model: z.string().optional(),
  // Token-id arrays are valid for OpenAI but meaningless here, so only text is accepted.
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  dimensions: z.number().int().min(1).max(8192).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

/** An embeddings request body, as far as the scripted server reads it. */
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

/** 32-bit FNV-1a: tiny, fast and stable across runs and platforms, unlike `Math.random`-seeded hashes. */
function hashFeature(feature: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < feature.length; index += 1) {
    hash ^= feature.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Weighted features of a text: words, word pairs and character trigrams of words. */
function textFeatures(text: string): Array<[feature: string, weight: number]> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const features: Array<[string, number]> = [];
  words.forEach((word, index) => {
    features.push([`w:${word}`, 1]);
    const next = words[index + 1];
    if (next !== undefined) features.push([`b:${word} ${next}`, 0.5]);
    // Trigrams make "embedding" and "embeddings" close, as a real model would.
    const padded = ` ${word} `;
    for (let start = 0; start + 3 <= padded.length; start += 1) {
      features.push([`c:${padded.slice(start, start + 3)}`, 0.25]);
    }
  });
  return features;
}

/**
 * Embeds a text into `dimensions` floats by feature hashing, L2-normalized. Values are
 * rounded to float32 so the `float` and `base64` encodings give the same numbers.
 * A text with no words gets the first unit vector, so cosine similarity stays defined.
 */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, weight] of textFeatures(text)) {
    const hash = hashFeature(feature);
    // The top bit picks the sign so that colliding features cancel out on average instead
    // of all pushing similarity up.
    const sign = (hash & 0x80000000) === 0 ? 1 : -1;
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  if (norm === 0) return vector.map((_, index) => (index === 0 ? 1 : 0));
  return vector.map((value) => Math.fround(value / norm));
}

function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** What {@link buildEmbeddingsResponse} needs. */
export interface EmbeddingsBuildInput {
  request: EmbeddingsRequest;
  /** Vector length when the request does not ask for `dimensions`. */
  defaultDimensions: number;
  /** Model name to report when the request names none. */
  defaultModel: string;
}

/**
 * Builds the OpenAI embeddings response. Honours `encoding_format: 'base64'`, which the
 * `openai` client asks for by default and decodes itself.
 */
export function buildEmbeddingsResponse(input: EmbeddingsBuildInput): CreateEmbeddingResponse {
  const { request } = input;
  const texts = typeof request.input === 'string' ? [request.input] : request.input;
  const dimensions = request.dimensions ?? input.defaultDimensions;
  const promptTokens = texts.reduce((sum, text) => sum + estimateTokens(text.length), 0);
  return {
    object: 'list',
    model: request.model ?? input.defaultModel,
    data: texts.map((text, index) => {
      const vector = embedText(text, dimensions);
      return {
        object: 'embedding',
        index,
        // The SDK type says number[]; with base64 the wire carries a string the client decodes.
        embedding: request.encoding_format === 'base64' ? (toBase64(vector) as unknown as number[]) : vector,
      };
    }),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
