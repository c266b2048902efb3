import { createHash } from 'node:crypto';
import { dot } from './vectors';

/**
 * The form of a text that exact de-duplication compares: Unicode-normalized (NFKC), case
 * folded and with runs of whitespace collapsed, so re-wrapped or re-cased copies match.
 */
export function normalizeForHash(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** SHA-256 (hex) of the normalized text: equal hashes are exact duplicates. */
export function contentHash(text: string): string {
  return createHash('sha256').update(normalizeForHash(text)).digest('hex');
}

/** A near duplicate found among candidates. */
export interface NearDuplicate {
  id: string;
  similarity: number;
}

/**
 * The candidate most similar to `vector` if its cosine similarity reaches `threshold`.
 * Vectors must be unit length (the stores normalize them). `threshold >= 1` disables the
 * check (only exact duplicates then count).
 */
export function findNearDuplicate(
  vector: Float32Array,
  candidates: Iterable<{ id: string; vector: Float32Array }>,
  threshold: number,
): NearDuplicate | undefined {
  if (threshold >= 1) return undefined;
  let best: NearDuplicate | undefined;
  for (const candidate of candidates) {
    const similarity = dot(vector, candidate.vector);
    if (similarity >= threshold && (best === undefined || similarity > best.similarity)) {
      best = { id: candidate.id, similarity };
    }
  }
  return best;
}
