import type { Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '../tools/mongo-support';
import type { Episode, EpisodeInput, EpisodeKind, RememberEpisodeResult, ScoredEpisode } from '../contracts/memory';
import { memoryCollections } from './database';
import type { EpisodeDocument, StoredEpisodeDocument } from './documents';
import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import { openEpisode, sealEpisode } from './sealed-documents';
import type { Embedder } from './embedders/embedder';
import type { EpisodeWindowCache } from './episode-window-cache';
import { neighboursInTime, rankCandidates } from './hybrid-search';
import { signalWeights } from './signal-weights';
import { toEpisode } from './mapping';
import { EmbedderMismatchError, MemoryInputError } from './memory-errors';
import { logEpisodeChange } from './session-heads';
import { detectVectorEncoding } from './vector-encoding-probe';
import { decodeVector, encodeVector, normalizeInPlace } from './vectors';

/** Options of {@link EpisodesStore}. */
export interface EpisodesStoreOptions {
  /** Embeds episodes for relevance recall; without it recall by relevance is lexical only. */
  embedder?: Embedder;
  /** @default () => new Date() */
  now?: () => Date;
  /** Most episodes of a session ranked by relevance (the most recent ones). @default 2000 */
  relevanceWindow?: number;
  /** Encrypts episode content at rest with the payload keys. @default plain */
  fields?: FieldEncryption;
  /**
   * The worker's cached windows of sessions: recall and recent read through it instead of
   * querying the session's episodes each time. @default none (every read queries MongoDB)
   */
  windows?: EpisodeWindowCache;
}

const EPISODE_KINDS: readonly EpisodeKind[] = ['turn', 'task', 'summary'];
const EPISODE_ROLES = ['user', 'assistant', 'tool', 'system'] as const;

function parseTime(value: string, what: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new MemoryInputError(`${what} "${value}" is not an ISO 8601 time`);
  return time;
}

function limit(value: number | undefined, fallback: number, what: string): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 0 || chosen > 1000) {
    throw new MemoryInputError(`${what} must be an integer from 0 to 1000, got ${chosen}`);
  }
  return chosen;
}

/**
 * Episodic memory in `memory_episodes`: what happened in each session, turn by turn and
 * task by task. Recording is idempotent (the caller's id is the document id; a second
 * write of the same id stores nothing), so a retried activity never duplicates a turn.
 * Every write is logged in the session's head (`memory_sessions`), which keeps the workers'
 * cached windows ({@link EpisodeWindowCache}) in step.
 */
export class EpisodesStore {
  private readonly now: () => Date;
  private readonly relevanceWindow: number;
  private readonly fields: FieldEncryption;

  constructor(
    private readonly db: Db,
    private readonly options: EpisodesStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.relevanceWindow = options.relevanceWindow ?? 2000;
    this.fields = options.fields ?? PLAIN_FIELDS;
  }

  /** Records an episode once; `created: false` when its id was already stored. */
  async record(input: EpisodeInput, options: { signal?: AbortSignal } = {}): Promise<RememberEpisodeResult> {
    if (typeof input.id !== 'string' || input.id.trim() === '') throw new MemoryInputError('episode id is empty');
    if (typeof input.sessionId !== 'string' || input.sessionId.trim() === '') {
      throw new MemoryInputError('episode sessionId is empty');
    }
    if (!EPISODE_KINDS.includes(input.kind))
      throw new MemoryInputError(`episode kind "${input.kind}" is not one of ${EPISODE_KINDS.join(', ')}`);
    if (!EPISODE_ROLES.includes(input.role))
      throw new MemoryInputError(`episode role "${input.role}" is not one of ${EPISODE_ROLES.join(', ')}`);
    const importance = input.importance ?? 0.5;
    if (!(importance >= 0 && importance <= 1))
      throw new MemoryInputError(`importance must be from 0 to 1, got ${importance}`);
    const { episodes } = memoryCollections(this.db);
    const recordedAt = this.now();
    const document: EpisodeDocument = {
      _id: input.id,
      sessionId: input.sessionId,
      workflowId: input.workflowId ?? null,
      kind: input.kind,
      role: input.role,
      content: input.content,
      importance,
      occurredAt: input.occurredAt === undefined ? recordedAt : parseTime(input.occurredAt, 'occurredAt'),
      recordedAt,
      tags: input.tags ?? [],
    };
    const embedder = this.options.embedder;
    if (embedder !== undefined && input.content.trim() !== '') {
      const [vector] = await embedder.embed([input.content], { signal: options.signal });
      if (vector !== undefined) {
        document.embedding = encodeVector(normalizeInPlace(vector), await detectVectorEncoding(this.db));
        document.embedder = embedder.description;
      }
    }
    let created = true;
    try {
      await episodes.insertOne(sealEpisode(document, this.fields));
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      created = false;
    }
    // Logged after the insert (readers read the head before the episodes), and also when the
    // id was already stored: the attempt that stored it may have failed before logging it.
    await logEpisodeChange(this.db, input.sessionId, { added: [input.id] });
    return { id: input.id, created };
  }

  /** The session's most recent episodes, oldest first (so they read as a transcript). */
  async recent(
    sessionId: string,
    options: { limit?: number; kinds?: readonly EpisodeKind[] } = {},
  ): Promise<Episode[]> {
    const count = limit(options.limit, 10, 'recentLimit');
    if (count === 0) return [];
    return this.transcript(await this.window(sessionId, options.kinds, count, { embeddings: false }));
  }

  /**
   * The session's episodes most relevant to `goal`: cosine similarity of the embeddings and
   * BM25, fused by reciprocal rank, weighted by importance (×0.5 at importance 0, ×1.5 at 1).
   * Only the most recent `relevanceWindow` episodes are ranked.
   *
   * @throws {EmbedderMismatchError} when stored episodes were embedded by another embedder.
   */
  async relevant(
    sessionId: string,
    goal: string,
    options: {
      limit?: number;
      kinds?: readonly EpisodeKind[];
      excludeIds?: ReadonlySet<string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<ScoredEpisode[]> {
    const count = limit(options.limit, 5, 'relevantLimit');
    if (count === 0 || goal.trim() === '') return [];
    const documents = await this.window(sessionId, options.kinds, this.relevanceWindow);
    return this.rank(
      documents.filter((document) => options.excludeIds?.has(document._id) !== true),
      goal,
      count,
      options.signal,
    );
  }

  /**
   * What a task recalls of its session, from one read: the `recentLimit` most recent
   * episodes (oldest first) and the `relevantLimit` most relevant to `goal` among the others
   * in the relevance window. The same as {@link recent} then {@link relevant} excluding
   * those, with one round trip to MongoDB instead of two (the recent ones head the window).
   */
  async recall(
    sessionId: string,
    goal: string,
    options: {
      recentLimit?: number;
      relevantLimit?: number;
      kinds?: readonly EpisodeKind[];
      signal?: AbortSignal;
    } = {},
  ): Promise<{ recent: Episode[]; relevant: ScoredEpisode[] }> {
    const recentCount = limit(options.recentLimit, 10, 'recentLimit');
    const relevantCount = limit(options.relevantLimit, 5, 'relevantLimit');
    const ranks = relevantCount > 0 && goal.trim() !== '';
    if (!ranks)
      return { recent: await this.recent(sessionId, { limit: recentCount, kinds: options.kinds }), relevant: [] };
    const documents = await this.window(sessionId, options.kinds, Math.max(recentCount, this.relevanceWindow));
    const newest = documents.slice(0, recentCount);
    return {
      recent: this.transcript(newest),
      relevant: await this.rank(documents.slice(recentCount), goal, relevantCount, options.signal),
    };
  }

  /** Newest-first documents as episodes oldest first, so they read as a transcript. */
  private transcript(newestFirst: readonly StoredEpisodeDocument[]): Episode[] {
    // Copied first: the documents may be a cached window, shared with other calls.
    return [...newestFirst].reverse().map((document) => toEpisode(openEpisode(document, this.fields)));
  }

  /**
   * The session's `size` most recent episodes (of `kinds`), newest first. From the cached
   * window when there is one: always for all kinds, and for some kinds when the window holds
   * the whole session (the newest N of all kinds are not the newest N of some kinds). The
   * cache keeps a whole relevance window, so a short read loads as much as a recall needs.
   * Shared when cached: never mutate the array or its documents.
   */
  private async window(
    sessionId: string,
    kinds: readonly EpisodeKind[] | undefined,
    size: number,
    options: { embeddings?: boolean } = {},
  ): Promise<readonly StoredEpisodeDocument[]> {
    const windows = this.options.windows;
    const allKinds = kinds === undefined || kinds.length === 0;
    if (windows !== undefined) {
      const cached = await windows.window(sessionId, Math.max(size, this.relevanceWindow));
      if (allKinds) return cached.documents.slice(0, size);
      if (cached.complete) return cached.documents.filter((document) => kinds.includes(document.kind)).slice(0, size);
    }
    const { episodes } = memoryCollections(this.db);
    return episodes
      .find(this.filter(sessionId, kinds), options.embeddings === false ? { projection: { embedding: 0 } } : {})
      .sort({ occurredAt: -1, _id: -1 })
      .limit(size)
      .toArray();
  }

  /** Ranks candidate episodes against the goal: embeddings and BM25, fused, weighted by importance. */
  private async rank(
    documents: readonly StoredEpisodeDocument[],
    goal: string,
    count: number,
    signal: AbortSignal | undefined,
  ): Promise<ScoredEpisode[]> {
    // Opened here: BM25 runs in the worker, over the text in clear.
    const candidates = documents.map((document) => openEpisode(document, this.fields));
    if (candidates.length === 0) return [];
    const embedder = this.options.embedder;
    let goalVector: Float32Array | undefined;
    if (embedder !== undefined && candidates.some((document) => document.embedding !== undefined)) {
      const [vector] = await embedder.embed([goal], { signal });
      goalVector = vector === undefined ? undefined : normalizeInPlace(vector);
    }
    // Each episode is found with the turns around it, as imported conversations are.
    const neighbours = neighboursInTime(
      candidates,
      (document) => document.occurredAt.getTime(),
      (document) => document.content,
    );
    const ranked = rankCandidates(
      goal,
      goalVector,
      candidates.map((document, position) => ({
        key: position,
        text: document.content,
        vector: this.vectorOf(document),
        context: neighbours[position],
        occurredAt: document.occurredAt,
      })),
      { vectorWeight: embedder === undefined ? 1 : signalWeights(embedder).vector },
    );
    return ranked
      .map((item) => {
        const document = candidates[item.key] as EpisodeDocument;
        return { episode: toEpisode(document), score: item.score * (0.5 + document.importance), signals: item.signals };
      })
      .sort((left, right) => right.score - left.score || (left.episode.occurredAt < right.episode.occurredAt ? 1 : -1))
      .slice(0, count);
  }

  private filter(sessionId: string, kinds: readonly EpisodeKind[] | undefined): Filter<StoredEpisodeDocument> {
    return kinds !== undefined && kinds.length > 0 ? { sessionId, kind: { $in: [...kinds] } } : { sessionId };
  }

  /** The episode's vector, checked against the current embedder; undefined when it has none. */
  private vectorOf(document: EpisodeDocument): Float32Array | undefined {
    const embedder = this.options.embedder;
    if (document.embedding === undefined || document.embedder === undefined || embedder === undefined) return undefined;
    const current = embedder.description;
    if (document.embedder.name !== current.name || document.embedder.dimensions !== current.dimensions) {
      throw new EmbedderMismatchError(`episodes of session ${document.sessionId}`, document.embedder, current);
    }
    return decodeVector(document.embedding);
  }
}
