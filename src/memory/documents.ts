import type { EmbedderDescription, EpisodeKind, EpisodeRole, JsonValue, KnowledgeKind } from '../contracts/memory';
import type { Stored } from '../codec/field-encryption';
import type { ContextNeighbour } from './memory-context';
import type { StoredVector } from './vectors';

/**
 * The shapes stored in MongoDB. Times are BSON dates here and ISO strings at activity
 * boundaries; ids are caller-derived strings, never ObjectIds, so every write is idempotent.
 * What users and models wrote (episode content; knowledge text, metadata and context) is
 * sealed with the payload keys when encryption is on: the `Stored…` shapes are what the
 * collections hold, the others the same documents opened. Vectors, tags, sources, sessions
 * and ids stay plain.
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

/** An episode as stored: its content sealed when encryption is on. */
export type StoredEpisodeDocument = Omit<EpisodeDocument, 'content'> & { content: Stored<string> };

/**
 * One change to a session's episodes, in the order applied: ids recorded or deleted. `null`
 * means "too many to list": readers reload the session's window.
 */
export type EpisodeChange = { added: string[] | null } | { removed: string[] | null };

/**
 * The head of one session in `memory_sessions`: how many changes its episodes have had and
 * the latest of them, so each worker's cached window of the session (`EpisodeWindowCache`)
 * can catch up with other workers' writes by id instead of re-reading the session.
 */
export interface SessionHeadDocument {
  /** The session id. */
  _id: string;
  /** Number of changes ever logged; the last entry of `changes` is this revision. */
  revision: number;
  /** The latest changes, oldest first; trimmed to a few dozen. */
  changes: EpisodeChange[];
  /**
   * Set when the head is made. The retention sweep deletes the head of a session it emptied;
   * a head made again later has another generation, so a window cached from the old one is
   * not taken for current when the revisions happen to match. Absent on older heads.
   */
  generation?: string;
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

/** A knowledge entry as stored: text, metadata and context sealed when encryption is on. */
export type StoredKnowledgeDocument = Omit<KnowledgeDocument, 'text' | 'meta' | 'context'> & {
  text: Stored<string>;
  meta?: Stored<Record<string, JsonValue>>;
  context?: Stored<ContextNeighbour[]>;
};

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
