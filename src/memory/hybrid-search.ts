import type { Db } from 'mongodb';
import type {
  KnowledgeChunk,
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
import { openKnowledge } from './sealed-documents';
import { indexedFields, sessionNeighbours, type ContextNeighbour } from './memory-context';
import { EmbedderMismatchError, MemoryInputError } from './memory-errors';
import type { VectorSearchSetting } from '../config/memory-settings';
import { reciprocalRankFusion, type FusedItem, type RankedList } from './rank-fusion';
import { signalWeights } from './signal-weights';
import { temporalCues, temporalMatch, type TemporalCue } from './temporal-cues';
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

/** Options of {@link searchKnowledge}. */
export interface SearchKnowledgeOptions {
  signal?: AbortSignal;
  /** What relative time cues ("last year") are relative to. @default the current time */
  now?: Date;
}

/**
 * How much a full match of a query's time cue ("in May 2023") raises a hybrid score: ×1.5
 * within the period, ×1.25 just after it. A cue narrows the candidates the text found; it
 * does not make a memory relevant on its own. Chosen on the LoCoMo development split
 * among 0.25, 0.5 and 1.
 */
export const TEMPORAL_BOOST = 0.5;

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

/** A ranked candidate: the fused score, or the single signal's score in a single-signal mode. */
interface Ranked<Key> {
  key: Key;
  score: number;
  signals: SearchSignals;
}

/**
 * Fuses the lists and, in hybrid mode, raises candidates whose time matches the query's
 * time cues. Single-signal modes keep their signal's order and score.
 */
function rank<Key>(
  lists: ReadonlyArray<RankedList<Key>>,
  mode: SearchMode,
  cues: readonly TemporalCue[],
  timeOf: (key: Key) => number,
): Ranked<Key>[] {
  const fused: FusedItem<Key>[] = reciprocalRankFusion(lists);
  if (mode !== 'hybrid') {
    return fused.map((item) => ({
      ...item,
      score: (mode === 'vector' ? item.signals.vector?.score : item.signals.lexical?.score) ?? 0,
    }));
  }
  if (cues.length === 0) return fused;
  const boosted = fused.map((item, order) => {
    const match = temporalMatch(cues, timeOf(item.key));
    return { ...item, score: item.score * (1 + TEMPORAL_BOOST * match), order };
  });
  boosted.sort((left, right) => right.score - left.score || left.order - right.order);
  return boosted.map(({ key, score, signals }) => ({ key, score, signals }));
}

/** The best `limit` candidates, one per document when grouping by document. */
function pick<Key>(
  ranked: readonly Ranked<Key>[],
  limit: number,
  groupKeyOf: ((key: Key) => string | undefined) | undefined,
): Ranked<Key>[] {
  const picked: Ranked<Key>[] = [];
  const groups = new Set<string>();
  for (const item of ranked) {
    if (groupKeyOf !== undefined) {
      const group = groupKeyOf(item.key);
      if (group === undefined || groups.has(group)) continue;
      groups.add(group);
    }
    picked.push(item);
    if (picked.length >= limit) break;
  }
  return picked;
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
 *   worker's in-memory index of the namespace gives the exact cosine top candidates and
 *   the BM25 top candidates (each entry with its context: neighbouring turns, date,
 *   speaker) over all entries.
 * - Atlas path (when the vector index is queryable and the mode uses vectors):
 *   `$vectorSearch` gives the vector candidates; BM25 is computed over those candidates
 *   only, so the lexical signal re-ranks but cannot add entries the vectors missed.
 *
 * Hybrid mode fuses the two lists by reciprocal rank, each weighted by what its signal is
 * worth with this embedder ({@link signalWeights}), then raises candidates whose time
 * matches a time cue of the query ("in May 2023", "last year").
 *
 * @throws {EmbedderMismatchError} when the namespace was written by another embedder.
 */
export async function searchKnowledge(
  dependencies: KnowledgeSearchDependencies,
  input: SearchKnowledgeInput,
  options: SearchKnowledgeOptions = {},
): Promise<SearchKnowledgeResult> {
  const { k, mode, groupBy } = validate(input);
  const depth = candidateDepth(k, groupBy);
  const filter = { kinds: input.kinds, tags: input.tags };
  const embedder = dependencies.embedder.description;
  const weights = signalWeights(dependencies.embedder);
  const setting = dependencies.vectorSearch ?? 'auto';
  const cues = mode === 'hybrid' ? temporalCues(input.query, options.now ?? new Date()) : [];

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
    const opened = found.map((hit) => openKnowledge(hit.document, dependencies.cache.fields));
    const lists: RankedList<number>[] = [
      {
        signal: 'vector',
        weight: weights.vector,
        items: found.map((hit, position) => ({ key: position, score: hit.cosine })),
      },
    ];
    if (mode === 'hybrid') {
      const scores = bm25Scores(
        input.query,
        opened.map((document) =>
          indexedFields({
            text: document.text,
            context: document.context ?? undefined,
            occurredAt: document.occurredAt ?? undefined,
            meta: document.meta ?? undefined,
          }),
        ),
      );
      lists.push({
        signal: 'lexical',
        weight: weights.lexical,
        items: scores
          .map((score, position) => ({ key: position, score }))
          .filter((item) => item.score > 0)
          .sort((left, right) => right.score - left.score || left.key - right.key),
      });
    }
    const ranked = rank(lists, mode, cues, (position) => found[position]?.document.occurredAt?.getTime() ?? Number.NaN);
    const chunks = opened.map((document) => toKnowledgeChunk(document));
    const chosen = pick(ranked, k, groupBy === 'document' ? (position) => chunks[position]?.documentId : undefined);
    return {
      hits: chosen.map((item) => ({
        chunk: chunks[item.key] as KnowledgeChunk,
        score: item.score,
        signals: item.signals,
      })),
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
      weight: weights.vector,
      items: index.nearest(vector, depth, filter).map((item) => ({ key: item.position, score: item.score })),
    });
  }
  if (mode !== 'vector') {
    lists.push({
      signal: 'lexical',
      weight: weights.lexical,
      items: index.lexicalSearch(input.query, depth, filter).map((item) => ({ key: item.position, score: item.score })),
    });
  }
  const ranked = rank(lists, mode, cues, (position) => index.timeAt(position));
  const chosen = pick(ranked, k, groupBy === 'document' ? (position) => index.documentIdAt(position) : undefined);
  return {
    hits: chosen.flatMap((item) => {
      const chunk = index.entryAt(item.key);
      return chunk === undefined ? [] : [{ chunk, score: item.score, signals: item.signals }];
    }),
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
  /** Neighbouring texts indexed with it (e.g. the turns around an episode). */
  context?: readonly ContextNeighbour[];
  /** Time it refers to, for temporal cues. */
  occurredAt?: Date;
}

/** Options of {@link rankCandidates}. */
export interface RankCandidatesOptions {
  /** Weight of the vector signal relative to BM25. @default 1 */
  vectorWeight?: number;
  /** What relative time cues are relative to. @default the current time */
  now?: Date;
}

/**
 * Hybrid ranking of a small candidate list held in memory (a session's episodes): cosine
 * similarity to `queryVector` and BM25 over the candidates (each with its context), fused
 * by weighted reciprocal rank, raised where the time matches a time cue of the query.
 */
export function rankCandidates<Key>(
  query: string,
  queryVector: Float32Array | undefined,
  candidates: ReadonlyArray<RankCandidate<Key>>,
  options: RankCandidatesOptions = {},
): Array<{ key: Key; score: number; signals: SearchSignals }> {
  const lists: RankedList<number>[] = [];
  if (queryVector !== undefined) {
    lists.push({
      signal: 'vector',
      weight: options.vectorWeight ?? 1,
      items: candidates
        .flatMap((candidate, position) =>
          candidate.vector === undefined ? [] : [{ key: position, score: dot(queryVector, candidate.vector) }],
        )
        .sort((left, right) => right.score - left.score || left.key - right.key),
    });
  }
  const scores = bm25Scores(
    query,
    candidates.map((candidate) =>
      indexedFields({ text: candidate.text, context: candidate.context, occurredAt: candidate.occurredAt }),
    ),
  );
  lists.push({
    signal: 'lexical',
    items: candidates
      .map((_, position) => ({ key: position, score: scores[position] as number }))
      .filter((item) => item.score > 0)
      .sort((left, right) => right.score - left.score || left.key - right.key),
  });
  const cues = temporalCues(query, options.now ?? new Date());
  return rank(lists, 'hybrid', cues, (position) => candidates[position]?.occurredAt?.getTime() ?? Number.NaN).map(
    (item) => ({ key: (candidates[item.key] as RankCandidate<Key>).key, score: item.score, signals: item.signals }),
  );
}

/**
 * The neighbours of each episode in time order (a session's turns, oldest first), for
 * {@link rankCandidates}: each turn is found with the turns around it.
 */
export function neighboursInTime<Item>(
  items: readonly Item[],
  timeOf: (item: Item) => number,
  textOf: (item: Item) => string,
): ContextNeighbour[][] {
  const order = items
    .map((_, position) => position)
    .sort((left, right) => timeOf(items[left] as Item) - timeOf(items[right] as Item));
  const ordered = sessionNeighbours(
    order,
    () => 'session',
    (position) => textOf(items[position] as Item),
  );
  const neighbours: ContextNeighbour[][] = items.map(() => []);
  order.forEach((position, rankInTime) => {
    neighbours[position] = ordered[rankInTime] as ContextNeighbour[];
  });
  return neighbours;
}
