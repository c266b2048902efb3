import type { Db } from 'mongodb';
import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import { memoryCollections } from './database';
import { openKnowledge } from './sealed-documents';
import type { NamespaceDocument } from './documents';
import { NamespaceIndex, type IndexableDocument } from './namespace-index';
import { inLane, type Lanes } from './one-at-a-time';
import { decodeVector, normalizeInPlace } from './vectors';

/** Options of {@link KnowledgeIndexCache}. */
export interface KnowledgeIndexCacheOptions {
  /** Namespaces kept in memory; the least recently used is dropped beyond it. @default 16 */
  maxNamespaces?: number;
  /** Documents per round trip of a full load. @default 2000 */
  loadBatchSize?: number;
  /** Opens text sealed with the payload keys as it loads (BM25 indexes the text in clear). @default plain */
  fields?: FieldEncryption;
  /**
   * A namespace loaded longer ago than this is read again in full at its next use, so a
   * change its log does not name is seen within this time (see the class comment). @default 5 minutes
   */
  maxAgeMs?: number;
  /** @default `Date.now` */
  now?: () => number;
}

/** What a sync did, for logs and benchmarks. */
export type SyncOutcome = 'fresh' | 'caught-up' | 'loaded' | 'missing';

/** Holes above this share make the next catch-up a full reload, which compacts the index. */
const MAX_HOLE_RATIO = 0.25;

/**
 * Each worker's in-memory copies of the namespaces it searches, kept in step with MongoDB.
 *
 * Why: exact search and BM25 need every vector and text of a namespace, and re-reading a
 * namespace per query is seconds at 100k entries (and far worse on FerretDB, which scans).
 * So a worker loads a namespace once and then, before each search, reads one small
 * document (`memory_namespaces`): when its revision moved, the change log there names the
 * ids written or deleted since, and only those are fetched. Writes made by this worker are
 * applied directly ({@link applyLocalChange}). A reload happens on first use, when the
 * log no longer reaches back far enough, when the namespace was re-created, and `maxAgeMs`
 * after the last load: on FerretDB v1, concurrent updates of one namespace document from
 * several processes can lose a log entry (it applies them as read-modify-write; MongoDB
 * does not), and a write made outside Chassis logs nothing, so without that bound such a
 * fact would stay unsearchable in this worker until it restarted. Text sealed
 * with the payload keys is opened as it is loaded, so lexical search works over encrypted
 * knowledge (MongoDB never sees the text in clear, so it could not index it anyway).
 */
export class KnowledgeIndexCache {
  private readonly indexes = new Map<string, NamespaceIndex>();
  /** When each cached namespace was last read in full (epoch ms). */
  private readonly loadedAt = new Map<string, number>();
  private readonly locks: Lanes = new Map();
  private readonly maxNamespaces: number;
  private readonly loadBatchSize: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  /** What the last sync of each namespace did (tests and benchmarks read it). */
  readonly lastSync = new Map<string, SyncOutcome>();
  /** How stored text is opened; stores sharing this cache seal with it too. */
  readonly fields: FieldEncryption;

  constructor(
    private readonly db: Db,
    options: KnowledgeIndexCacheOptions = {},
  ) {
    this.maxNamespaces = options.maxNamespaces ?? 16;
    this.loadBatchSize = options.loadBatchSize ?? 2000;
    this.fields = options.fields ?? PLAIN_FIELDS;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The namespace's index, brought up to date with MongoDB; undefined when the namespace
   * does not exist. Concurrent calls for one namespace share one sync.
   */
  get(namespace: string): Promise<NamespaceIndex | undefined> {
    return inLane(this.locks, namespace, () => this.sync(namespace));
  }

  /** The index as it is in memory, without a round trip (for write paths that just synced). */
  peek(namespace: string): NamespaceIndex | undefined {
    return this.indexes.get(namespace);
  }

  /** Forgets a namespace; the next {@link get} reloads it. */
  invalidate(namespace: string): void {
    this.indexes.delete(namespace);
    this.loadedAt.delete(namespace);
  }

  /**
   * Applies a change this worker just made (revision `revision` of `generation`) without
   * a round trip, when the cached copy is exactly one revision behind; otherwise the next
   * sync catches up through the change log.
   */
  applyLocalChange(
    namespace: string,
    generation: string,
    revision: number,
    change: {
      upserted: ReadonlyArray<{ document: IndexableDocument; vector: Float32Array }>;
      deleted: readonly string[];
    },
  ): void {
    const index = this.indexes.get(namespace);
    if (index === undefined || index.generation !== generation || index.revision !== revision - 1) return;
    index.removeMany(change.deleted);
    for (const entry of change.upserted) index.upsert(entry.document, entry.vector);
    index.revision = revision;
  }

  private async sync(namespace: string): Promise<NamespaceIndex | undefined> {
    const { namespaces } = memoryCollections(this.db);
    const state = await namespaces.findOne({ _id: namespace });
    if (state === null) {
      this.invalidate(namespace);
      this.lastSync.set(namespace, 'missing');
      return undefined;
    }
    const cached = this.indexes.get(namespace);
    const young = this.now() - (this.loadedAt.get(namespace) ?? -Infinity) < this.maxAgeMs;
    if (cached !== undefined && young && cached.generation === state.generation) {
      if (cached.revision === state.revision) {
        this.touch(namespace, cached);
        this.lastSync.set(namespace, 'fresh');
        return cached;
      }
      if (
        cached.revision < state.revision &&
        cached.holeRatio <= MAX_HOLE_RATIO &&
        (await this.catchUp(cached, state))
      ) {
        this.touch(namespace, cached);
        this.lastSync.set(namespace, 'caught-up');
        return cached;
      }
    }
    const loadStarted = this.now();
    const loaded = await this.load(state);
    this.loadedAt.set(namespace, loadStarted);
    this.touch(namespace, loaded);
    this.lastSync.set(namespace, 'loaded');
    return loaded;
  }

  /** Applies the logged changes after the cached revision; false when the log cannot say what changed. */
  private async catchUp(index: NamespaceIndex, state: NamespaceDocument): Promise<boolean> {
    const firstLogged = state.revision - state.changes.length + 1;
    if (index.revision + 1 < firstLogged) return false;
    const pending = state.changes.slice(index.revision + 1 - firstLogged);
    const upserted = new Set<string>();
    const deleted = new Set<string>();
    for (const change of pending) {
      if (change.upserted === null || change.deleted === null) return false;
      for (const id of change.upserted) upserted.add(id);
      for (const id of change.deleted) deleted.add(id);
    }
    const { knowledge } = memoryCollections(this.db);
    const found = upserted.size === 0 ? [] : await knowledge.find({ _id: { $in: [...upserted] } }).toArray();
    // Current state wins: an id deleted and re-written since is present in `found`.
    index.removeMany(deleted);
    const present = new Set<string>();
    for (const document of found) {
      present.add(document._id);
      index.upsert(openKnowledge(document, this.fields), normalizeInPlace(decodeVector(document.embedding)));
    }
    index.removeMany([...upserted].filter((id) => !present.has(id)));
    index.revision = state.revision;
    return true;
  }

  /**
   * Reads the whole namespace. The revision is read before the documents, and writers
   * insert documents before they bump the revision, so whatever the load misses is in the
   * log after that revision.
   */
  private async load(state: NamespaceDocument): Promise<NamespaceIndex> {
    const index = new NamespaceIndex(state._id, state.embedder, state.generation, state.revision);
    const { knowledge } = memoryCollections(this.db);
    const cursor = knowledge.find({ namespace: state._id }).batchSize(this.loadBatchSize);
    for await (const document of cursor) {
      index.upsert(openKnowledge(document, this.fields), normalizeInPlace(decodeVector(document.embedding)));
    }
    index.compact();
    return index;
  }

  private touch(namespace: string, index: NamespaceIndex): void {
    this.indexes.delete(namespace);
    this.indexes.set(namespace, index);
    while (this.indexes.size > this.maxNamespaces) {
      const oldest = this.indexes.keys().next().value;
      if (oldest === undefined) break;
      this.invalidate(oldest);
    }
  }
}
