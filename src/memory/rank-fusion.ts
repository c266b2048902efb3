import type { SearchSignals } from '../contracts/memory';

/** One ranked list: items best first, with the signal's own score. */
export interface RankedList<Key> {
  signal: keyof SearchSignals;
  items: ReadonlyArray<{ key: Key; score: number }>;
  /** How much a rank in this list is worth relative to the others. @default 1 */
  weight?: number;
}

/** A fused result. */
export interface FusedItem<Key> {
  key: Key;
  /** Sum over lists of weight / (constant + rank). */
  score: number;
  signals: SearchSignals;
}

/**
 * The usual reciprocal-rank-fusion constant (Cormack et al., 2009): it damps the weight of
 * the very top ranks so one list cannot dominate.
 */
export const RRF_CONSTANT = 60;

/**
 * Weighted reciprocal rank fusion: each item scores Σ weight / (constant + rank) over the
 * lists it appears in. Ranks, not raw scores, are combined, because cosine similarity and
 * BM25 live on incomparable scales; the weights say how much each signal is worth (a weak
 * signal with a small weight breaks ties of a strong one instead of overruling it). Ties
 * keep the order of first appearance (deterministic).
 */
export function reciprocalRankFusion<Key>(
  lists: ReadonlyArray<RankedList<Key>>,
  constant = RRF_CONSTANT,
): FusedItem<Key>[] {
  const fused = new Map<Key, FusedItem<Key> & { order: number }>();
  let order = 0;
  for (const list of lists) {
    const weight = list.weight ?? 1;
    list.items.forEach((item, index) => {
      const rank = index + 1;
      let entry = fused.get(item.key);
      if (entry === undefined) {
        entry = { key: item.key, score: 0, signals: {}, order: order++ };
        fused.set(item.key, entry);
      }
      entry.score += weight / (constant + rank);
      entry.signals[list.signal] = { score: item.score, rank };
    });
  }
  return [...fused.values()]
    .sort((left, right) => right.score - left.score || left.order - right.order)
    .map(({ key, score, signals }) => ({ key, score, signals }));
}
