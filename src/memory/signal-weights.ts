import type { Embedder } from './embedders/embedder';

/**
 * How much each ranking signal is worth in hybrid fusion, relative to BM25 (weight 1).
 *
 * The vector signal's worth depends on the embedder, and an embedder may carry its measured
 * weight (`fusionWeight`). A trained model's vectors find paraphrases BM25 misses; without
 * a measurement they are an equal partner. The hashed n-gram embedder's
 * vectors are a blurred copy of the same word overlap BM25 already measures exactly: as an
 * equal partner they drag the fusion below BM25 alone (recall@10 0.45 against 0.59 on
 * LoCoMo), so they only break BM25's ties. Its 0.1 was chosen on the LoCoMo development
 * split among 0.02, 0.05, 0.1 and 0.2: from 0.2 on, hybrid falls below BM25 alone.
 */
export interface SignalWeights {
  lexical: number;
  vector: number;
}

const SEMANTIC: SignalWeights = { lexical: 1, vector: 1 };
const LEXICAL_VECTORS: SignalWeights = { lexical: 1, vector: 0.1 };

/** What an embedder's vectors capture; embedders that wrap another and do not say are recognized by name. */
export function embedderSimilarity(embedder: Embedder): 'semantic' | 'lexical' {
  return embedder.similarity ?? (embedder.description.name.startsWith('hashed-ngram') ? 'lexical' : 'semantic');
}

/** The fusion weights for searches with this embedder: its measured weight, else by what its vectors capture. */
export function signalWeights(embedder: Embedder): SignalWeights {
  if (embedder.fusionWeight !== undefined) return { lexical: 1, vector: embedder.fusionWeight };
  return embedderSimilarity(embedder) === 'lexical' ? LEXICAL_VECTORS : SEMANTIC;
}
