/**
 * JSON-only inputs and results of the memory activities: times are ISO 8601 strings, ids
 * are strings, no `Date`, `ObjectId`, `Map` or typed array crosses a boundary (Temporal's
 * JSON payload converter would not bring them back as they were). Workflow-safe: types and
 * constants only.
 */
import type { ChatMessage } from './messages';

/** Which embedder made a vector; stored with every vector so a mismatch is detected, not averaged into garbage. */
export interface EmbedderDescription {
  /** E.g. `openai:text-embedding-3-small` or `hashed-ngram-v1`. */
  name: string;
  dimensions: number;
}

/** Who spoke in an episode. */
export type EpisodeRole = 'user' | 'assistant' | 'tool' | 'system';

/** What an episode records: one conversation turn, one finished task, or a summary of either. */
export type EpisodeKind = 'turn' | 'task' | 'summary';

/** An episode as the caller writes it. */
export interface EpisodeInput {
  /**
   * Caller-given idempotency key, e.g. `<workflowId>/turn-3`: writing the same id twice
   * stores one episode, so an activity retry never duplicates it.
   */
  id: string;
  sessionId: string;
  /** The task or session workflow that produced it. */
  workflowId?: string;
  kind: EpisodeKind;
  role: EpisodeRole;
  content: string;
  /** 0 (trivia) to 1 (must not forget); weighs relevance recall. @default 0.5 */
  importance?: number;
  /**
   * When it happened (ISO 8601). Pass workflow time so a retry records the same instant.
   * @default the time the activity runs
   */
  occurredAt?: string;
  /** @default [] */
  tags?: string[];
}

/** A stored episode. */
export interface Episode {
  id: string;
  sessionId: string;
  workflowId: string | null;
  kind: EpisodeKind;
  role: EpisodeRole;
  content: string;
  importance: number;
  occurredAt: string;
  recordedAt: string;
  tags: string[];
}

/** Input of `rememberEpisode`. */
export interface RememberEpisodeInput {
  episode: EpisodeInput;
}

/** Result of `rememberEpisode`. */
export interface RememberEpisodeResult {
  id: string;
  /** False when an episode with this id was already stored (a retry or a replayed step). */
  created: boolean;
}

/** Which ranking signals placed a result, with its rank (1-based) in each. */
export interface SearchSignals {
  /** Cosine similarity of the embeddings, -1..1. */
  vector?: { score: number; rank: number };
  /** BM25 score of the query terms in the text; unbounded, only comparable within one search. */
  lexical?: { score: number; rank: number };
}

/** An episode with its relevance to a goal. */
export interface ScoredEpisode {
  episode: Episode;
  /** Fused relevance weighted by importance; only comparable within one recall. */
  score: number;
  signals: SearchSignals;
}

/** Whether a knowledge entry is a document chunk or a fact extracted from episodes or saved by the agent. */
export type KnowledgeKind = 'chunk' | 'fact';

/** A JSON value, for free-form metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One entry of semantic memory, without its vector. */
export interface KnowledgeChunk {
  /** Unique id: `<namespace>/<documentId>#<chunkIndex>` for chunks, `<namespace>/fact/<hash>` for facts. */
  id: string;
  namespace: string;
  kind: KnowledgeKind;
  text: string;
  /** Where it came from: a file name, URL, workflow id. */
  source: string;
  tags: string[];
  createdAt: string;
  /** The id given at ingestion or import (or the content hash when none was given). */
  documentId: string;
  /** 0-based position of the chunk in its document. */
  chunkIndex: number;
  /** SHA-256 of the normalized text; equal hashes are exact duplicates. */
  contentHash: string;
  embedder: EmbedderDescription;
  /** Optional session the text belongs to (bulk imports of conversations). */
  sessionId?: string;
  /** Optional time the text refers to (ISO 8601), distinct from when it was stored. */
  occurredAt?: string;
  meta?: Record<string, JsonValue>;
}

/** A search result. */
export interface KnowledgeHit {
  chunk: KnowledgeChunk;
  /**
   * Ranking score: the fused reciprocal-rank score in `hybrid` mode, the cosine similarity
   * in `vector` mode, the BM25 score in `lexical` mode. Only comparable within one search.
   */
  score: number;
  signals: SearchSignals;
}

/** Which signals rank a search. */
export type SearchMode = 'hybrid' | 'vector' | 'lexical';

/** How the vector candidates were found. */
export type VectorSearchStrategy = 'exact' | 'atlas-vector-search';

/** Input of `searchKnowledge`. */
export interface SearchKnowledgeInput {
  namespace: string;
  query: string;
  /** Number of results. @default 10 */
  k?: number;
  /** @default 'hybrid' */
  mode?: SearchMode;
  /** @default both kinds */
  kinds?: KnowledgeKind[];
  /** Only entries carrying every one of these tags. */
  tags?: string[];
  /** `document` returns the best chunk per document, so ids given at import come back once. @default 'chunk' */
  groupBy?: 'chunk' | 'document';
}

/** Result of `searchKnowledge`. */
export interface SearchKnowledgeResult {
  hits: KnowledgeHit[];
  mode: SearchMode;
  strategy: VectorSearchStrategy;
  /** Entries the ranking considered (after namespace, kind and tag filters). */
  candidateCount: number;
}

/** How a text is cut into chunks. */
export interface ChunkingOptionsInput {
  /** Largest chunk, in estimated tokens. @default 400 */
  maxTokens?: number;
  /** Tokens of trailing sentences repeated at the start of the next chunk. @default 60 */
  overlapTokens?: number;
}

/** Input of `ingestDocument`. */
export interface IngestDocumentInput {
  namespace: string;
  text: string;
  source: string;
  /**
   * Stable id of the document: re-ingesting the same id and text is a no-op; the same id
   * with changed text replaces the earlier version. @default the content hash
   */
  documentId?: string;
  /** @default [] */
  tags?: string[];
  chunking?: ChunkingOptionsInput;
  /**
   * Cosine similarity at or above which a chunk counts as a near duplicate of a stored one
   * and is skipped; `1` keeps exact de-duplication only. @default 0.97
   */
  nearDuplicateThreshold?: number;
  meta?: Record<string, JsonValue>;
}

/** A chunk that was not stored because an equal or nearly equal one already was. */
export interface DuplicateChunk {
  chunkIndex: number;
  duplicateOf: string;
  reason: 'exact' | 'near';
  /** Cosine similarity to the stored chunk (1 for exact duplicates). */
  similarity: number;
}

/** Result of `ingestDocument`. */
export interface IngestDocumentResult {
  documentId: string;
  chunkCount: number;
  /** Ids stored by this call. */
  storedIds: string[];
  /** Ids that were already stored under the same id (an earlier attempt of the same ingestion). */
  alreadyStoredIds: string[];
  duplicates: DuplicateChunk[];
  /** Chunks of an earlier version of this document id that were removed because its text changed. */
  replacedChunks: number;
}

/** Input of `saveFact`: one durable fact, e.g. from the agent's `memory_save` tool. */
export interface SaveFactInput {
  namespace: string;
  text: string;
  /** The workflow or tool call that produced it. */
  source: string;
  /** @default [] */
  tags?: string[];
  /** @default 0.92 */
  nearDuplicateThreshold?: number;
  meta?: Record<string, JsonValue>;
}

/** Result of `saveFact`. */
export interface SaveFactResult {
  id: string;
  /** False when an equal or nearly equal fact was already stored. */
  stored: boolean;
  duplicateOf?: string;
  similarity?: number;
}

/** Token usage of a small-model call made by a memory activity. */
export interface MemoryModelUsage {
  model: string;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Input of `summarize`: fold turns into a running summary, or compress a summary that grew too long. */
export interface SummarizeInput {
  /** Catalog id of the (small) model; routing is the workflow's. */
  model: string;
  /** The running summary so far, folded into the new one. */
  previousSummary?: string;
  /** Turns to fold in; empty to re-summarize `previousSummary` alone (hierarchical compression). */
  messages: ChatMessage[];
  /** Longest summary wanted, in tokens; a longer answer is cut at a sentence boundary. */
  targetTokens: number;
  /** What to keep above all, e.g. the session's goal. */
  focus?: string;
}

/** Result of `summarize`. */
export interface SummarizeResult {
  summary: string;
  /** Exact token count of `summary` (o200k tokenizer). */
  tokens: number;
  /** True when the model's answer exceeded `targetTokens` and was cut. */
  truncated: boolean;
  usage: MemoryModelUsage;
}

/** What a durable fact is about. */
export type FactCategory = 'preference' | 'decision' | 'result' | 'fact';

/** Input of `extractFacts`. */
export interface ExtractFactsInput {
  model: string;
  namespace: string;
  /** The episode text to read: the task's turns, or its summary. */
  messages: ChatMessage[];
  /** Stored as the facts' source, e.g. the workflow id. */
  source: string;
  /** @default 10 */
  maxFacts?: number;
  /** @default 0.92 */
  nearDuplicateThreshold?: number;
  /** @default [] */
  tags?: string[];
}

/** One fact extracted by `extractFacts`. */
export interface ExtractedFact {
  text: string;
  category: FactCategory;
  id: string;
  /** False when an equal or nearly equal fact was already stored. */
  stored: boolean;
  duplicateOf?: string;
  similarity?: number;
}

/** Result of `extractFacts`. */
export interface ExtractFactsResult {
  facts: ExtractedFact[];
  usage: MemoryModelUsage;
}

/** Input of `recall`: what the agent remembers of a session and what it knows about a goal. */
export interface RecallInput {
  sessionId: string;
  /** The current goal; without it only recent episodes come back. */
  goal?: string;
  /** Most recent episodes of the session. @default 10 */
  recentLimit?: number;
  /** Episodes of the session most relevant to the goal. @default 5 */
  relevantLimit?: number;
  /** @default every kind */
  kinds?: EpisodeKind[];
  /** Also search semantic memory for the goal. */
  knowledge?: { namespace: string; k?: number; kinds?: KnowledgeKind[] };
}

/** Result of `recall`. */
export interface RecallResult {
  /** Oldest first, so they read as a transcript. */
  recent: Episode[];
  /** Most relevant first; excludes episodes already in `recent`. */
  relevant: ScoredEpisode[];
  knowledge: KnowledgeHit[];
}

/** Input of `rememberTaskWorkflow`: a finished task to write to memory. */
export interface RememberTaskInput {
  episode: EpisodeInput;
  /** Extract durable facts from the task into semantic memory. */
  facts?: ExtractFactsInput;
}

/** What `rememberTaskWorkflow` wrote. */
export interface RememberTaskResult {
  episodeStored: boolean;
  factsStored: number;
  note?: string;
}

/** Input of the `startRememberTask` activity. */
export interface StartRememberTaskInput {
  /** `<task>/remember`. */
  workflowId: string;
  task: RememberTaskInput;
}
