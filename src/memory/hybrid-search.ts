import type { Db } from 'mongodb';
import type {
  KnowledgeChunk,
  KnowledgeHit,
  SearchKnowledgeInput,
  SearchKnowledgeResult,
  SearchMode,
  SearchSignals,
} from '../contracts/memory';
import type { AtlasVectorSearch } from './atlas-vector-search';
import { memoryCollections } from './database';
import type { Embedder } from './embedders/embedder';
import type { KnowledgeIndexCache } from './knowledge-index-cache';
import { bm25Scores } from './lexical';
import { toKnowledgeChunk } from './mapping';
import { EmbedderMismatchError, MemoryInputError } from './memory-errors';
import type { VectorSearchSetting } from './memory-settings';
import { reciprocalRankFusion, type RankedList } from './rank-fusion';
import { dot, normalizeInPlace } from './vectors';

/** What a knowledge search needs. */
export interface KnowledgeSearchDependencies {
  db: Db;
  embedder: Embedder;
  cache: KnowledgeIndexCache;
  /** @default 'auto' */
  vectorSearch?: VectorSearchSetting;
  /** The Atlas path; absent or not ready means the exact path. */
  atlas?: AtlasVectorSearch;
}

/** Candidates each signal contributes before fusion: enough depth for fusion to matter. */
function candidateDepth(k: number, groupBy: 'chunk' | 'document'): number {
  return Math.max(50, k * (groupBy === 'document' ? 10 : 5));
}

function validate(input: SearchKnowledgeInput): { k: number; mode: SearchMode; groupBy: 'chunk' | 'document' } {
  if (typeof input.query !== 'string' || input.query.trim() === '') throw new MemoryInputError('search query is empty');
  const k = input.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 1000)
    throw new MemoryInputError(`k must be an integer from 1 to 1000, got ${k}`);
  return { k, mode: input.mode ?? 'hybrid', groupBy: input.groupBy ?? 'chunk' };
}

/** Fused (or single-signal) ranking to hits: the score the mode promises, one per document if asked. */
function toHits<Key>(
  lists: ReadonlyArray<RankedList<Key>>,
  mode: SearchMode,
  k: number,
  groupBy: 'chunk' | 'document',
  chunkOf: (key: Key) => KnowledgeChunk | undefined,
): KnowledgeHit[] {
  const fused = reciprocalRankFusion(lists);
  const hits: KnowledgeHit[] = [];
  const documents = new Set<string>();
  for (const item of fused) {
    const chunk = chunkOf(item.key);
    if (chunk === undefined) continue;
    if (groupBy === 'document') {
      if (documents.has(chunk.documentId)) continue;
      documents.add(chunk.documentId);
    }
    const score =
      mode === 'vector'
        ? (item.signals.vector?.score ?? 0)
        : mode === 'lexical'
          ? (item.signals.lexical?.score ?? 0)
          : item.score;
    hits.push({ chunk, score, signals: item.signals });
    if (hits.length >= k) break;
  }
  return hits;
}

async function queryVector(embedder: Embedder, query: string, signal?: AbortSignal): Promise<Float32Array> {
  const [vector] = await embedder.embed([query], { signal });
  if (vector === undefined || vector.length !== embedder.description.dimensions) {
    throw new Error(
      `embedder ${embedder.description.name} returned no ${embedder.description.dimensions}-dimension vector for the query`,
    );
  }
  return normalizeInPlace(vector);
}

/**
 * Searches a namespace of semantic memory.
 *
 * - Exact path (FerretDB, MongoDB Community, or `CHASSIS_VECTOR_SEARCH=exact`): the
 *   worker's in-memory copy of the namespace gives the exact cosine top candidates and the
 *   BM25 top candidates over all entries.
 * - Atlas path (when the vector index is queryable and the mode uses vectors):
 *   `$vectorSearch` gives the vector candidates; BM25 is computed over those candidates
 *   only, so the lexical signal re-ranks but cannot add entries the vectors missed.
 *
 * Hybrid mode fuses the two lists by reciprocal rank.
 *
 * @throws {EmbedderMismatchError} when the namespace was written by another embedder.
 */
export async function searchKnowledge(
  dependencies: KnowledgeSearchDependencies,
  input: SearchKnowledgeInput,
  options: { signal?: AbortSignal } = {},
): Promise<SearchKnowledgeResult> {
  const { k, mode, groupBy } = validate(input);
  const depth = candidateDepth(k, groupBy);
  const filter = { kinds: input.kinds, tags: input.tags };
  const embedder = dependencies.embedder.description;
  const setting = dependencies.vectorSearch ?? 'auto';

  if (
    setting !== 'exact' &&
    mode !== 'lexical' &&
    dependencies.atlas !== undefined &&
    (await dependencies.atlas.isReady(embedder.dimensions))
  ) {
    const { namespaces } = memoryCollections(dependencies.db);
    const state = await namespaces.findOne({ _id: input.namespace }, { projection: { embedder: 1 } });
    if (state === null) return { hits: [], mode, strategy: 'atlas-vector-search', candidateCount: 0 };
    if (state.embedder.name !== embedder.name || state.embedder.dimensions !== embedder.dimensions) {
      throw new EmbedderMismatchError(input.namespace, state.embedder, embedder);
    }
    const vector = await queryVector(dependencies.embedder, input.query, options.signal);
    const found = await dependencies.atlas.search({
      namespace: input.namespace,
      vector,
      limit: depth,
      // Atlas recommends at least 20 candidates per result; 10,000 is its ceiling.
      numCandidates: Math.min(10_000, depth * 20),
      kinds: input.kinds,
      tags: input.tags,
    });
    const chunks = found.map((hit) => toKnowledgeChunk(hit.document, dependencies.cache.fields));
    const lists: RankedList<number>[] = [
      { signal: 'vector', items: found.map((hit, position) => ({ key: position, score: hit.cosine })) },
    ];
    if (mode === 'hybrid') {
      const scores = bm25Scores(
        input.query,
        chunks.map((chunk) => chunk.text),
      );
      lists.push({
        signal: 'lexical',
        items: scores
          .map((score, position) => ({ key: position, score }))
          .filter((item) => item.score > 0)
          .sort((left, right) => right.score - left.score || left.key - right.key),
      });
    }
    return {
      hits: toHits(lists, mode, k, groupBy, (position) => chunks[position]),
      mode,
      strategy: 'atlas-vector-search',
      candidateCount: found.length,
    };
  }

  const index = await dependencies.cache.get(input.namespace);
  if (index === undefined) return { hits: [], mode, strategy: 'exact', candidateCount: 0 };
  if (index.embedder.name !== embedder.name || index.embedder.dimensions !== embedder.dimensions) {
    throw new EmbedderMismatchError(input.namespace, index.embedder, embedder);
  }
  const lists: RankedList<number>[] = [];
  if (mode !== 'lexical') {
    const vector = await queryVector(dependencies.embedder, input.query, options.signal);
    lists.push({
      signal: 'vector',
      items: index.nearest(vector, depth, filter).map((item) => ({ key: item.position, score: item.score })),
    });
  }
  if (mode !== 'vector') {
    lists.push({
      signal: 'lexical',
      items: index.lexicalSearch(input.query, depth, filter).map((item) => ({ key: item.position, score: item.score })),
    });
  }
  return {
    hits: toHits(lists, mode, k, groupBy, (position) => index.entryAt(position)),
    mode,
    strategy: 'exact',
    candidateCount: index.count(filter),
  };
}

/** A candidate for {@link rankCandidates}: any text with an optional unit-length vector. */
export interface RankCandidate<Key> {
  key: Key;
  text: string;
  vector?: Float32Array;
}

/**
 * Hybrid ranking of a small candidate list held in memory (a session's episodes): cosine
 * similarity to `queryVector` and BM25 over the candidates, fused by reciprocal rank.
 */
export function rankCandidates<Key>(
  query: string,
  queryVector: Float32Array | undefined,
  candidates: ReadonlyArray<RankCandidate<Key>>,
): Array<{ key: Key; score: number; signals: SearchSignals }> {
  const lists: RankedList<Key>[] = [];
  if (queryVector !== undefined) {
    lists.push({
      signal: 'vector',
      items: candidates
        .flatMap((candidate) =>
          candidate.vector === undefined ? [] : [{ key: candidate.key, score: dot(queryVector, candidate.vector) }],
        )
        .sort((left, right) => right.score - left.score),
    });
  }
  const scores = bm25Scores(
    query,
    candidates.map((candidate) => candidate.text),
  );
  lists.push({
    signal: 'lexical',
    items: candidates
      .map((candidate, position) => ({ key: candidate.key, score: scores[position] as number }))
      .filter((item) => item.score > 0)
      .sort((left, right) => right.score - left.score),
  });
  return reciprocalRankFusion(lists);
}
