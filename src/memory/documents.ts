import type { EmbedderDescription, EpisodeKind, EpisodeRole, JsonValue, KnowledgeKind } from '../contracts/memory';
import type { ContextNeighbour } from './memory-context';
import type { StoredVector } from './vectors';

/**
 * The shapes stored in MongoDB. Times are BSON dates here and ISO strings at activity
 * boundaries; ids are caller-derived strings, never ObjectIds, so every write is idempotent.
 */

/** One episode in `memory_episodes`. */
export interface EpisodeDocument {
  /** The caller-given id, e.g. `<workflowId>/turn-3`. */
  _id: string;
  sessionId: string;
  workflowId: string | null;
  kind: EpisodeKind;
  role: EpisodeRole;
  content: string;
  importance: number;
  occurredAt: Date;
  recordedAt: Date;
  tags: string[];
  /** Absent when the episode was recorded without an embedder. */
  embedding?: StoredVector;
  embedder?: EmbedderDescription;
}

/** One chunk or fact in `memory_knowledge`. */
export interface KnowledgeDocument {
  _id: string;
  namespace: string;
  kind: KnowledgeKind;
  text: string;
  source: string;
  tags: string[];
  createdAt: Date;
  documentId: string;
  chunkIndex: number;
  contentHash: string;
  embedding: StoredVector;
  embedder: EmbedderDescription;
  sessionId?: string;
  occurredAt?: Date;
  meta?: Record<string, JsonValue>;
  /** Neighbouring texts of the same session at import, indexed with this entry (never returned). */
  context?: ContextNeighbour[];
}

/**
 * One change to a namespace, in the order applied. `null` lists mean "too many to list":
 * readers reload the namespace.
 */
export interface NamespaceChange {
  upserted: string[] | null;
  deleted: string[] | null;
}

/**
 * One namespace in `memory_namespaces`: its embedder (set by the first write, checked by
 * every later one) and a short change log that lets each worker's in-memory index catch up
 * with other workers' writes by id instead of re-reading the namespace.
 */
export interface NamespaceDocument {
  _id: string;
  embedder: EmbedderDescription;
  /** Random per creation, so a deleted and re-created namespace is never mistaken for the old one. */
  generation: string;
  /** Number of changes ever applied; the last entry of `changes` is this revision. */
  revision: number;
  /** The latest changes, oldest first; trimmed to a few dozen. */
  changes: NamespaceChange[];
  createdAt: Date;
}
