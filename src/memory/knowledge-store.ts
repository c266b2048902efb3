import { randomUUID } from 'node:crypto';
import { MongoBulkWriteError, type Db, type Filter } from 'mongodb';
import type {
  DuplicateChunk,
  EmbedderDescription,
  IngestDocumentInput,
  IngestDocumentResult,
  JsonValue,
  KnowledgeChunk,
  KnowledgeKind,
  SaveFactInput,
  SaveFactResult,
} from '../contracts/memory';
import { chunkText, type ChunkingOptions } from './chunking';
import { MemoryCollection, memoryCollections } from './database';
import { findNearDuplicate, normalizeForHash, type NearDuplicate } from './dedupe';
import type { KnowledgeDocument, NamespaceDocument, StoredKnowledgeDocument } from './documents';
import type { Embedder } from './embedders/embedder';
import { KnowledgeIndexCache } from './knowledge-index-cache';
import { toKnowledgeChunk } from './mapping';
import { openKnowledge, sealKnowledge } from './sealed-documents';
import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import { contextualText, sessionNeighbours, type ContextNeighbour } from './memory-context';
import { EmbedderMismatchError, MemoryInputError } from './memory-errors';
import type { NamespaceIndex } from './namespace-index';
import { oneAtATime } from './one-at-a-time';
import { detectVectorEncoding } from './vector-encoding-probe';
import { encodeVector, normalizeInPlace } from './vectors';
import { isDuplicateKeyError } from '../tools/mongo-support';

/** One record of a bulk import: one line of the JSONL file `chassis memory import` reads. */
export interface ImportRecord {
  /** Returned by searches as the document id. @default the content hash */
  id?: string;
  text: string;
  session?: string;
  /** ISO 8601 time the text refers to. */
  time?: string;
  meta?: Record<string, JsonValue>;
  tags?: string[];
}

/** Options of {@link KnowledgeStore.importRecords}. */
export interface ImportOptions {
  /** @default 'import' */
  source?: string;
  /** `exact` skips texts already stored in the namespace; `none` stores every record. @default 'exact' */
  deduplicate?: 'exact' | 'none';
  chunking?: ChunkingOptions;
  /** Records embedded and written per round trip. @default 1000 */
  batchSize?: number;
  /** Called after each batch (activities heartbeat here). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Result of {@link KnowledgeStore.importRecords}. */
export interface ImportResult {
  records: number;
  chunks: number;
  stored: number;
  alreadyStored: number;
  duplicates: number;
}

/** Options of {@link KnowledgeStore}. */
export interface KnowledgeStoreOptions {
  /** Share one cache between the store and searches of a worker. @default a new cache */
  cache?: KnowledgeIndexCache;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * Encrypts text, metadata and context at rest with the payload keys, and keys the content
   * hashes (a plain hash of a short fact would confirm a guess). @default the cache's
   */
  fields?: FieldEncryption;
}

/** A chunk ready to write: its document (text in clear) and its unit-length vector. */
interface PreparedEntry {
  document: KnowledgeDocument;
  vector: Float32Array;
}

/**
 * Ids listed per change-log entry; larger writes make other workers reload instead.
 * Kept small because every write reads the namespace document back whole (FerretDB's
 * findAndModify takes no projection): at most 32 × 100 ids, about 130 kB.
 */
const MAX_LOGGED_IDS = 100;
/** Change-log entries kept per namespace. */
const MAX_LOGGED_CHANGES = 32;
const DUPLICATE_KEY = 11000;
/** Ids per delete round trip; well under SQLite's limit of bound variables. */
const DELETE_BATCH = 5000;

function requireText(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new MemoryInputError(`${what} is empty`);
  return value;
}

function requireNamespace(namespace: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(namespace)) {
    throw new MemoryInputError(`namespace "${namespace}" is invalid: use 1-100 letters, digits, ".", "_" or "-"`);
  }
  return namespace;
}

function sameEmbedder(left: EmbedderDescription, right: EmbedderDescription): boolean {
  return left.name === right.name && left.dimensions === right.dimensions;
}

/** Id of a chunk: stable for the same document and position, so re-ingestion is idempotent. */
export function chunkId(namespace: string, documentId: string, chunkIndex: number): string {
  return `${namespace}/${documentId}#${chunkIndex}`;
}

/** Id of a fact: its content hash, so saving the same fact twice stores it once. */
export function factId(namespace: string, hash: string): string {
  return `${namespace}/fact/${hash}`;
}

/**
 * Semantic memory in `memory_knowledge`: document chunks and facts with their vectors and
 * metadata. Writes are idempotent inserts keyed by deterministic ids (a duplicate key
 * means "already stored"), never upserts, because FerretDB evaluates each upsert as a scan.
 * Every write is recorded in the namespace's change log so other workers' caches catch up.
 */
export class KnowledgeStore {
  readonly cache: KnowledgeIndexCache;
  private readonly now: () => Date;
  private readonly fields: FieldEncryption;

  constructor(
    private readonly db: Db,
    private readonly embedder: Embedder,
    options: KnowledgeStoreOptions = {},
  ) {
    this.fields = options.fields ?? options.cache?.fields ?? PLAIN_FIELDS;
    this.cache = options.cache ?? new KnowledgeIndexCache(db, { fields: this.fields });
    this.now = options.now ?? (() => new Date());
  }

  /** The content hash exact de-duplication compares: of the normalized text, keyed when encrypted. */
  private contentHash(text: string): string {
    return this.fields.address(normalizeForHash(text));
  }

  /** The embedder this store writes with. */
  get embedderDescription(): EmbedderDescription {
    return this.embedder.description;
  }

  /**
   * Chunks a document, skips chunks already stored (exactly, or nearly by cosine
   * similarity) and stores the rest. Re-ingesting the same document id and text is a
   * no-op; the same id with changed text replaces the earlier version's chunks.
   *
   * @throws {EmbedderMismatchError} when the namespace was written by another embedder.
   */
  async ingestDocument(
    input: IngestDocumentInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<IngestDocumentResult> {
    const namespace = requireNamespace(input.namespace);
    const text = requireText(input.text, 'document text');
    const threshold = input.nearDuplicateThreshold ?? 0.97;
    const documentId = input.documentId ?? this.contentHash(text);
    const chunks = chunkText(text, input.chunking);
    const state = await this.ensureNamespace(namespace);
    let index = await this.cache.get(namespace);
    // The same document id with changed text is a new version: the old chunks go first.
    const changed = chunks.some((chunk) => {
      const stored = index?.contentHashOf(chunkId(namespace, documentId, chunk.index));
      return stored !== undefined && stored !== this.contentHash(chunk.text);
    });
    let replacedChunks = 0;
    if (changed) {
      replacedChunks = (await this.delete(namespace, { documentIds: [documentId] })).deleted;
      index = await this.cache.get(namespace);
    }
    const vectors = await this.embedVectors(
      chunks.map((chunk) => chunk.text),
      options.signal,
    );
    const createdAt = this.now();
    const duplicates: DuplicateChunk[] = [];
    const alreadyStoredIds: string[] = [];
    const accepted: PreparedEntry[] = [];
    const acceptedHashes = new Map<string, string>();
    chunks.forEach((chunk, position) => {
      const id = chunkId(namespace, documentId, chunk.index);
      const hash = this.contentHash(chunk.text);
      const vector = vectors[position] as Float32Array;
      if (index?.has(id) === true) {
        alreadyStoredIds.push(id);
        return;
      }
      const exact = index?.findIdByHash(hash) ?? acceptedHashes.get(hash);
      if (exact !== undefined) {
        duplicates.push({ chunkIndex: chunk.index, duplicateOf: exact, reason: 'exact', similarity: 1 });
        return;
      }
      const near = this.nearest(index, accepted, vector, 'chunk', threshold);
      if (near !== undefined) {
        duplicates.push({ chunkIndex: chunk.index, duplicateOf: near.id, reason: 'near', similarity: near.similarity });
        return;
      }
      acceptedHashes.set(hash, id);
      accepted.push({
        vector,
        document: this.document({
          id,
          namespace,
          kind: 'chunk',
          text: chunk.text,
          source: input.source,
          tags: input.tags ?? [],
          createdAt,
          documentId,
          chunkIndex: chunk.index,
          hash,
          vector,
          meta: input.meta,
        }),
      });
    });
    const written = await this.write(state, accepted);
    return {
      documentId,
      chunkCount: chunks.length,
      storedIds: written.inserted,
      alreadyStoredIds: [...alreadyStoredIds, ...written.existing],
      duplicates,
      replacedChunks,
    };
  }

  /**
   * Saves one fact unless an equal one (same normalized text) or a nearly equal one
   * (cosine ≥ threshold among the namespace's facts) is stored.
   */
  async saveFact(input: SaveFactInput, options: { signal?: AbortSignal } = {}): Promise<SaveFactResult> {
    const namespace = requireNamespace(input.namespace);
    const text = requireText(input.text, 'fact text').trim();
    const hash = this.contentHash(text);
    const id = factId(namespace, hash);
    const state = await this.ensureNamespace(namespace);
    const index = await this.cache.get(namespace);
    const stored = index?.findIdByHash(hash);
    if (stored !== undefined) return { id: stored, stored: false, duplicateOf: stored, similarity: 1 };
    const [vector] = await this.embedVectors([text], options.signal);
    const near = this.nearest(index, [], vector as Float32Array, 'fact', input.nearDuplicateThreshold ?? 0.92);
    if (near !== undefined) return { id: near.id, stored: false, duplicateOf: near.id, similarity: near.similarity };
    const document = this.document({
      id,
      namespace,
      kind: 'fact',
      text,
      source: input.source,
      tags: input.tags ?? [],
      createdAt: this.now(),
      documentId: hash,
      chunkIndex: 0,
      hash,
      vector: vector as Float32Array,
      meta: input.meta,
    });
    await this.write(state, [{ document, vector: vector as Float32Array }]);
    return { id, stored: true };
  }

  /**
   * Bulk import: one chunk per record (records longer than the chunk size are chunked,
   * ids `<id>#0`, `<id>#1`, …), embedded and written in batches. Records of the same
   * `session` are indexed and embedded with their neighbours in file order (see
   * `memory-context.ts`).
   *
   * A record with its own `id` is always stored under it, even when its text repeats
   * another record's: each id stays findable. A record without an id gets its content hash
   * as id, so with `deduplicate: 'exact'` a text stored already (or earlier in the same
   * import) is counted as a duplicate and not stored again. Near-duplicate checks are
   * skipped here: they cost a pass over the namespace per record. A record whose id is
   * already stored is skipped even if its text changed: delete the ids (or the namespace)
   * first to re-import changed records.
   */
  async importRecords(
    namespace: string,
    records: readonly ImportRecord[],
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    requireNamespace(namespace);
    const state = await this.ensureNamespace(namespace);
    await this.cache.get(namespace);
    const batchSize = options.batchSize ?? 1000;
    const deduplicate = (options.deduplicate ?? 'exact') === 'exact';
    records.forEach((record, position) => requireText(record.text, `record ${position + 1} text`));
    const neighbours = sessionNeighbours(
      records,
      (record) => record.session,
      (record) => record.text,
    );
    const seenIds = new Set<string>();
    const seenHashes = new Set<string>();
    const result: ImportResult = { records: records.length, chunks: 0, stored: 0, alreadyStored: 0, duplicates: 0 };
    for (let start = 0; start < records.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const batch = records.slice(start, start + batchSize);
      const pending: Array<{
        id: string;
        text: string;
        hash: string;
        record: ImportRecord;
        documentId: string;
        chunkIndex: number;
        context: ContextNeighbour[];
      }> = [];
      batch.forEach((record, offset) => {
        const documentId = record.id ?? this.contentHash(record.text);
        for (const chunk of chunkText(record.text, options.chunking)) {
          result.chunks += 1;
          const id = chunkId(namespace, documentId, chunk.index);
          const hash = this.contentHash(chunk.text);
          // The cache is re-read per batch: this import's earlier batches are in it.
          const index = this.cache.peek(namespace);
          if (seenIds.has(id) || index?.has(id) === true) {
            if (record.id === undefined && deduplicate) result.duplicates += 1;
            else result.alreadyStored += 1;
            continue;
          }
          if (
            record.id === undefined &&
            deduplicate &&
            (seenHashes.has(hash) || index?.findIdByHash(hash) !== undefined)
          ) {
            result.duplicates += 1;
            continue;
          }
          seenIds.add(id);
          seenHashes.add(hash);
          pending.push({
            id,
            text: chunk.text,
            hash,
            record,
            documentId,
            chunkIndex: chunk.index,
            context: neighbours[start + offset] as ContextNeighbour[],
          });
        }
      });
      const vectors = await this.embedVectors(
        pending.map((entry) => contextualText(entry.text, entry.context)),
        options.signal,
      );
      const createdAt = this.now();
      const entries = pending.map((entry, position): PreparedEntry => {
        const vector = vectors[position] as Float32Array;
        return {
          vector,
          document: this.document({
            id: entry.id,
            namespace,
            kind: 'chunk',
            text: entry.text,
            source: options.source ?? 'import',
            tags: entry.record.tags ?? [],
            createdAt,
            documentId: entry.documentId,
            chunkIndex: entry.chunkIndex,
            hash: entry.hash,
            vector,
            meta: entry.record.meta,
            sessionId: entry.record.session,
            occurredAt: entry.record.time,
            context: entry.context,
          }),
        };
      });
      const written = await this.write(state, entries);
      result.stored += written.inserted.length;
      result.alreadyStored += written.existing.length;
      options.onProgress?.(Math.min(records.length, start + batch.length), records.length);
    }
    return result;
  }

  /** Entries of a namespace, newest first. */
  async list(
    namespace: string,
    options: { kinds?: KnowledgeKind[]; limit?: number; skip?: number } = {},
  ): Promise<KnowledgeChunk[]> {
    const { knowledge } = memoryCollections(this.db);
    const filter = {
      namespace,
      ...(options.kinds !== undefined && options.kinds.length > 0 ? { kind: { $in: options.kinds } } : {}),
    };
    const documents = await knowledge
      .find(filter, { projection: { embedding: 0 } })
      .sort({ createdAt: -1, _id: 1 })
      .skip(options.skip ?? 0)
      .limit(options.limit ?? 100)
      .toArray();
    return documents.map((document) => toKnowledgeChunk(openKnowledge(document, this.fields)));
  }

  /** Number of entries (chunks and facts) in a namespace. */
  count(namespace: string): Promise<number> {
    return memoryCollections(this.db).knowledge.countDocuments({ namespace });
  }

  /** Every namespace with its embedder and revision. */
  async listNamespaces(): Promise<
    Array<{ namespace: string; embedder: EmbedderDescription; revision: number; createdAt: string }>
  > {
    const { namespaces } = memoryCollections(this.db);
    const documents = await namespaces
      .find({}, { projection: { changes: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return documents.map((document) => ({
      namespace: document._id,
      embedder: document.embedder,
      revision: document.revision,
      createdAt: document.createdAt.toISOString(),
    }));
  }

  /**
   * Deletes entries by id or by document id, or (with neither) the whole namespace,
   * including its embedder record, so it can be re-imported with another embedder.
   */
  async delete(
    namespace: string,
    selector: { ids?: string[]; documentIds?: string[] } = {},
  ): Promise<{ deleted: number }> {
    const { namespaces } = memoryCollections(this.db);
    const ids = selector.ids ?? [];
    const documentIds = selector.documentIds ?? [];
    if (ids.length === 0 && documentIds.length === 0) {
      // The namespace record goes first, so other workers stop serving it at once.
      await namespaces.deleteOne({ _id: namespace });
      this.cache.invalidate(namespace);
      return { deleted: (await this.deleteInBatches({ namespace })).length };
    }
    const doomed = await this.deleteInBatches({
      namespace,
      $or: [
        ...(ids.length > 0 ? [{ _id: { $in: ids } }] : []),
        ...(documentIds.length > 0 ? [{ documentId: { $in: documentIds } }] : []),
      ],
    });
    if (doomed.length === 0) return { deleted: 0 };
    const state = await namespaces.findOne({ _id: namespace });
    if (state !== null) {
      const revision = await this.recordChange(namespace, state.generation, {
        upserted: [],
        deleted: doomed.length <= MAX_LOGGED_IDS ? doomed : null,
      });
      if (revision !== undefined) {
        this.cache.applyLocalChange(namespace, state.generation, revision, { upserted: [], deleted: doomed });
      }
    }
    return { deleted: doomed.length };
  }

  /**
   * Deletes matching entries a few thousand ids at a time and returns their ids. One
   * `deleteMany` over a large namespace fails on FerretDB's SQLite backend ("too many SQL
   * variables") and holds a long lock elsewhere.
   */
  private async deleteInBatches(filter: Filter<StoredKnowledgeDocument>): Promise<string[]> {
    const { knowledge } = memoryCollections(this.db);
    const deleted: string[] = [];
    for (;;) {
      const batch = (
        await knowledge
          .find(filter, { projection: { _id: 1 } })
          .limit(DELETE_BATCH)
          .toArray()
      ).map((document) => document._id);
      if (batch.length === 0) return deleted;
      await knowledge.deleteMany({ _id: { $in: batch } });
      deleted.push(...batch);
    }
  }

  /**
   * The namespace record, created with this store's embedder on first write.
   *
   * @throws {EmbedderMismatchError} when the namespace belongs to another embedder.
   */
  async ensureNamespace(namespace: string): Promise<NamespaceDocument> {
    const { namespaces } = memoryCollections(this.db);
    let state = await namespaces.findOne({ _id: namespace });
    if (state === null) {
      try {
        await namespaces.updateOne(
          { _id: namespace },
          {
            $setOnInsert: {
              embedder: this.embedder.description,
              generation: randomUUID(),
              revision: 0,
              changes: [],
              createdAt: this.now(),
            },
          },
          { upsert: true },
        );
      } catch (error) {
        // Two workers created it at once: the other one won, which is just as good.
        if (!isDuplicateKeyError(error)) throw error;
      }
      state = await namespaces.findOne({ _id: namespace });
      if (state === null) throw new Error(`namespace "${namespace}" vanished while it was being created; retry`);
    }
    if (!sameEmbedder(state.embedder, this.embedder.description)) {
      throw new EmbedderMismatchError(namespace, state.embedder, this.embedder.description);
    }
    return state;
  }

  private async embedVectors(texts: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const vectors = await this.embedder.embed(texts, { signal });
    const dimensions = this.embedder.description.dimensions;
    for (const vector of vectors) {
      if (vector.length !== dimensions) {
        throw new EmbedderMismatchError('(embedding)', this.embedder.description, {
          name: this.embedder.description.name,
          dimensions: vector.length,
        });
      }
      normalizeInPlace(vector);
    }
    return vectors;
  }

  /**
   * The most similar stored entry of the same kind, or entry accepted earlier in this call,
   * when its cosine similarity reaches `threshold`. Stored entries are searched exactly
   * through the namespace index.
   */
  private nearest(
    index: NamespaceIndex | undefined,
    accepted: readonly PreparedEntry[],
    vector: Float32Array,
    kind: KnowledgeKind,
    threshold: number,
  ): NearDuplicate | undefined {
    if (threshold >= 1) return undefined;
    const [closest] = index?.nearest(vector, 1, { kinds: [kind] }) ?? [];
    const stored = closest === undefined ? undefined : index?.idAt(closest.position);
    const candidates = [
      ...(closest !== undefined && stored !== undefined
        ? [{ id: stored, vector: index!.vectorAt(closest.position) }]
        : []),
      ...accepted.map((entry) => ({ id: entry.document._id, vector: entry.vector })),
    ];
    return findNearDuplicate(vector, candidates, threshold);
  }

  private document(fields: {
    id: string;
    namespace: string;
    kind: KnowledgeKind;
    text: string;
    source: string;
    tags: string[];
    createdAt: Date;
    documentId: string;
    chunkIndex: number;
    hash: string;
    vector: Float32Array;
    meta?: Record<string, JsonValue>;
    sessionId?: string;
    occurredAt?: string;
    context?: ContextNeighbour[];
  }): KnowledgeDocument {
    const occurredAt = fields.occurredAt === undefined ? undefined : new Date(fields.occurredAt);
    if (occurredAt !== undefined && Number.isNaN(occurredAt.getTime())) {
      throw new MemoryInputError(`time "${fields.occurredAt}" of ${fields.documentId} is not an ISO 8601 date`);
    }
    return {
      _id: fields.id,
      namespace: fields.namespace,
      kind: fields.kind,
      text: fields.text,
      source: fields.source,
      tags: fields.tags,
      createdAt: fields.createdAt,
      documentId: fields.documentId,
      chunkIndex: fields.chunkIndex,
      contentHash: fields.hash,
      // Placeholder; `write` encodes the vector once the server's encoding is known.
      embedding: [],
      embedder: this.embedder.description,
      ...(fields.sessionId === undefined ? {} : { sessionId: fields.sessionId }),
      ...(occurredAt === undefined ? {} : { occurredAt }),
      ...(fields.meta === undefined ? {} : { meta: fields.meta }),
      ...(fields.context === undefined || fields.context.length === 0 ? {} : { context: fields.context }),
    };
  }

  /**
   * Inserts entries (a duplicate key means an earlier attempt stored it), then records the
   * change in the namespace log and applies it to this worker's cache.
   */
  private async write(
    state: NamespaceDocument,
    entries: readonly PreparedEntry[],
  ): Promise<{ inserted: string[]; existing: string[] }> {
    if (entries.length === 0) return { inserted: [], existing: [] };
    const encoding = await detectVectorEncoding(this.db);
    const documents = entries.map((entry) => ({ ...entry.document, embedding: encodeVector(entry.vector, encoding) }));
    const { knowledge } = memoryCollections(this.db);
    const existingPositions = new Set<number>();
    try {
      await knowledge.insertMany(
        documents.map((document) => sealKnowledge(document, this.fields)),
        { ordered: false },
      );
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : Object.values(error.writeErrors);
      const others = writeErrors.filter((writeError) => writeError.code !== DUPLICATE_KEY);
      if (others.length > 0 || writeErrors.length === 0) throw error;
      for (const writeError of writeErrors) existingPositions.add(writeError.index);
    }
    const ids = documents.map((document) => document._id);
    // Every attempted id is logged, also those an earlier attempt stored: that attempt may
    // have failed before logging them.
    const revision = await this.recordChange(state._id, state.generation, {
      upserted: ids.length <= MAX_LOGGED_IDS ? ids : null,
      deleted: [],
    });
    if (revision !== undefined) {
      this.cache.applyLocalChange(state._id, state.generation, revision, {
        upserted: documents.map((document, position) => ({
          document,
          vector: (entries[position] as PreparedEntry).vector,
        })),
        deleted: [],
      });
    }
    return {
      inserted: ids.filter((_, position) => !existingPositions.has(position)),
      existing: ids.filter((_, position) => existingPositions.has(position)),
    };
  }

  /** Appends a change to the namespace log; the new revision, or undefined when the namespace was re-created meanwhile. */
  private async recordChange(
    namespace: string,
    generation: string,
    change: { upserted: string[] | null; deleted: string[] | null },
  ): Promise<number | undefined> {
    const { namespaces } = memoryCollections(this.db);
    // One at a time per namespace in this process: FerretDB loses all but one of concurrent updates.
    const updated = await oneAtATime(this.db, `${MemoryCollection.namespaces}/${namespace}`, async () => {
      const after = await namespaces.findOneAndUpdate(
        { _id: namespace, generation },
        { $inc: { revision: 1 }, $push: { changes: change } },
        // No projection: FerretDB v1 rejects findAndModify with "fields".
        { returnDocument: 'after' },
      );
      // One push, one pop: the log stays about MAX_LOGGED_CHANGES long without reading it.
      // ($push with $slice would do both at once, but FerretDB v1 ignores $slice.)
      if (after !== null && after.revision > MAX_LOGGED_CHANGES) {
        await namespaces.updateOne({ _id: namespace, generation }, { $pop: { changes: -1 } });
      }
      return after;
    });
    if (updated === null) {
      this.cache.invalidate(namespace);
      return undefined;
    }
    return updated.revision;
  }
}
