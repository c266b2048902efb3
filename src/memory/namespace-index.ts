import type { EmbedderDescription, JsonValue, KnowledgeChunk, KnowledgeKind } from '../contracts/memory';
import type { KnowledgeDocument } from './documents';
import { Bm25Index } from './lexical';
import { indexedFields } from './memory-context';
import { EmbedderMismatchError } from './memory-errors';
import { TopK, type Scored } from './top-k';

/** Which entries a search considers. */
export interface EntryFilter {
  kinds?: readonly KnowledgeKind[];
  /** Every one of these tags must be present. */
  tags?: readonly string[];
}

/** What the index takes of a stored entry: the document without its vector. */
export type IndexableDocument = Omit<KnowledgeDocument, 'embedding'>;

const KIND_CODES: Readonly<Record<KnowledgeKind, number>> = { chunk: 0, fact: 1 };
const KINDS: readonly KnowledgeKind[] = ['chunk', 'fact'];
const HASH_BYTES = 32;
const INITIAL_CAPACITY = 1024;

/** The document id inside a chunk or fact id (`<namespace>/<documentId>#<n>`, `<namespace>/fact/<hash>`). */
export function documentIdOfEntry(namespace: string, id: string, kind: KnowledgeKind): string {
  const local = id.startsWith(`${namespace}/`) ? id.slice(namespace.length + 1) : id;
  if (kind === 'fact') return local.startsWith('fact/') ? local.slice('fact/'.length) : local;
  const hash = local.lastIndexOf('#');
  return hash < 0 ? local : local.slice(0, hash);
}

/** Strings that repeat across entries (sources, sessions), stored once and referred to by number. */
class StringTable {
  private readonly values: string[] = [];
  private readonly indexes = new Map<string, number>();

  intern(value: string): number {
    let index = this.indexes.get(value);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(value);
      this.indexes.set(value, index);
    }
    return index;
  }

  at(index: number): string {
    return this.values[index] as string;
  }
}

/**
 * Writes a unit vector as 8-bit integers (symmetric scalar quantization: the largest
 * magnitude maps to 127) and returns the scale that turns them back. Each value is off by
 * at most half a step, and the errors are uncorrelated, so a cosine computed from them is
 * within about 0.002 of the exact one (a step is about 0.002 for unit vectors of 256
 * dimensions, smaller for more): far below the differences that rank memories, for a
 * quarter of float32's memory.
 */
function quantizeInto(vector: Float32Array, target: Int8Array, offset: number): number {
  let largest = 0;
  for (let index = 0; index < vector.length; index += 1) largest = Math.max(largest, Math.abs(vector[index] as number));
  if (largest === 0) return 0;
  const scale = largest / 127;
  for (let index = 0; index < vector.length; index += 1) {
    target[offset + index] = Math.round((vector[index] as number) / scale);
  }
  return scale;
}

/** The first 4 bytes of a hex hash as an integer. */
function hashPrefix(hash: string): number {
  return Number.parseInt(hash.slice(0, 8), 16) | 0;
}

/**
 * A worker's in-memory copy of one namespace, in columns rather than one object per entry:
 * the vectors in one contiguous 8-bit quantized matrix (exact search is a tight loop over
 * every vector; quantized, a quarter of float32's memory, see {@link quantizeInto}), a
 * BM25 inverted index with typed postings, and typed per-entry columns (kind, tag set,
 * times, content hash, chunk index; repeated strings such as sources and sessions
 * interned). Texts are kept, so hits need no database round trip (FerretDB takes hundreds
 * of milliseconds for a page of reads by id under load); an entry is materialized as a
 * {@link KnowledgeChunk} only when a search returns it. Context (neighbouring turns) is
 * indexed, not kept. Positions are append-only; removal leaves a hole that a rebuild (a
 * full reload by the cache) reclaims.
 */
export class NamespaceIndex {
  /** Revision of the namespace this copy reflects. */
  revision: number;
  private readonly dimensions: number;
  private capacity = INITIAL_CAPACITY;
  /** The vectors, 8-bit quantized: one contiguous buffer, `dimensions` bytes a position. */
  private matrix: Int8Array;
  /** Per position, what one quantization step is worth (the vector's largest magnitude / 127). */
  private scales = new Float32Array(INITIAL_CAPACITY);
  /** Entry ids by position; undefined for a removed entry. */
  private readonly ids: Array<string | undefined> = [];
  private readonly positionById = new Map<string, number>();
  private kinds = new Uint8Array(INITIAL_CAPACITY);
  /** Index into {@link tagSets} per position (0 = no tags). */
  private tagSetOf = new Int32Array(INITIAL_CAPACITY);
  private readonly tagSets: string[][] = [[]];
  private readonly tagSetIndex = new Map<string, number>([['[]', 0]]);
  /** Time the entry refers to (occurredAt), in ms; NaN when it has none. */
  private times = new Float64Array(INITIAL_CAPACITY);
  /** When the entry was stored, in ms. */
  private createdTimes = new Float64Array(INITIAL_CAPACITY);
  private chunkIndexes = new Int32Array(INITIAL_CAPACITY);
  /** Interned source and session strings per position (-1: no session). */
  private sourceOf = new Int32Array(INITIAL_CAPACITY);
  private sessionOf = new Int32Array(INITIAL_CAPACITY);
  private readonly strings = new StringTable();
  /** Texts by position (undefined for removed entries). */
  private readonly texts: Array<string | undefined> = [];
  /** Metadata of the few entries that have any. */
  private readonly metaByPosition = new Map<number, Record<string, JsonValue>>();
  /** SHA-256 content hashes, 32 bytes a position. */
  private hashes = new Uint8Array(INITIAL_CAPACITY * HASH_BYTES);
  /**
   * First live position of each content hash, keyed by the hash's first 4 bytes (a small
   * integer key, not a 64-character string per entry); the rare entry whose prefix is
   * taken by another hash goes to {@link overflowByHash}, keyed by the whole hex hash.
   */
  private readonly positionByHashPrefix = new Map<number, number>();
  private readonly overflowByHash = new Map<string, number>();
  private readonly lexical = new Bm25Index();
  private liveCount = 0;

  constructor(
    readonly namespace: string,
    readonly embedder: EmbedderDescription,
    readonly generation: string,
    revision: number,
  ) {
    this.revision = revision;
    this.dimensions = embedder.dimensions;
    this.matrix = new Int8Array(this.dimensions * INITIAL_CAPACITY);
    this.times.fill(Number.NaN);
  }

  /** Live entries. */
  get size(): number {
    return this.liveCount;
  }

  /** Share of positions that are holes left by removals. */
  get holeRatio(): number {
    return this.ids.length === 0 ? 0 : 1 - this.liveCount / this.ids.length;
  }

  /**
   * Adds or replaces an entry; `vector` must be unit length. The entry is indexed with its
   * context (neighbours, date, metadata labels).
   *
   * @throws {EmbedderMismatchError} when the entry or vector is not from this namespace's embedder.
   */
  upsert(document: IndexableDocument, vector: Float32Array): void {
    if (
      document.embedder.name !== this.embedder.name ||
      document.embedder.dimensions !== this.dimensions ||
      vector.length !== this.dimensions
    ) {
      throw new EmbedderMismatchError(this.namespace, this.embedder, {
        name: document.embedder.name,
        dimensions: vector.length,
      });
    }
    const existing = this.positionById.get(document._id);
    if (existing !== undefined) {
      if (this.contentHashAt(existing) === document.contentHash) return;
      this.removeMany([document._id]);
    }
    const position = this.ids.length;
    if (position === this.capacity) this.grow();
    this.scales[position] = quantizeInto(vector, this.matrix, position * this.dimensions);
    this.ids.push(document._id);
    this.texts.push(document.text);
    this.positionById.set(document._id, position);
    this.createdTimes[position] = document.createdAt.getTime();
    this.chunkIndexes[position] = document.chunkIndex;
    this.sourceOf[position] = this.strings.intern(document.source);
    this.sessionOf[position] = typeof document.sessionId === 'string' ? this.strings.intern(document.sessionId) : -1;
    if (document.meta !== undefined && document.meta !== null) this.metaByPosition.set(position, document.meta);
    this.kinds[position] = KIND_CODES[document.kind];
    this.tagSetOf[position] = this.internTags(document.tags);
    this.times[position] = document.occurredAt instanceof Date ? document.occurredAt.getTime() : Number.NaN;
    this.hashes.set(Buffer.from(document.contentHash, 'hex').subarray(0, HASH_BYTES), position * HASH_BYTES);
    if (this.positionOfHash(document.contentHash) === undefined) this.setHashPosition(document.contentHash, position);
    this.lexical.add(
      position,
      indexedFields({
        text: document.text,
        context: document.context ?? undefined,
        occurredAt: document.occurredAt ?? undefined,
        meta: document.meta ?? undefined,
      }),
    );
    this.liveCount += 1;
  }

  /** Removes an entry by id; unknown ids are ignored. */
  remove(id: string): void {
    this.removeMany([id]);
  }

  /** Removes entries by id (one pass over the lexical postings for all of them); unknown ids are ignored. */
  removeMany(ids: Iterable<string>): void {
    const positions: number[] = [];
    const orphanedHashes = new Set<string>();
    for (const id of ids) {
      const position = this.positionById.get(id);
      if (position === undefined) continue;
      positions.push(position);
      this.ids[position] = undefined;
      this.texts[position] = undefined;
      this.metaByPosition.delete(position);
      this.positionById.delete(id);
      const hash = this.contentHashAt(position);
      if (this.positionOfHash(hash) === position) {
        this.deleteHashPosition(hash);
        orphanedHashes.add(hash);
      }
      this.liveCount -= 1;
    }
    if (positions.length === 0) return;
    this.lexical.remove(positions);
    if (orphanedHashes.size === 0) return;
    // Another live entry may carry the same text (records with their own ids keep repeated texts).
    for (let position = 0; position < this.ids.length && orphanedHashes.size > 0; position += 1) {
      if (this.ids[position] === undefined) continue;
      const hash = this.contentHashAt(position);
      if (orphanedHashes.delete(hash)) this.setHashPosition(hash, position);
    }
  }

  has(id: string): boolean {
    return this.positionById.has(id);
  }

  /** The content hash of the entry with this id, if any. */
  contentHashOf(id: string): string | undefined {
    const position = this.positionById.get(id);
    return position === undefined ? undefined : this.contentHashAt(position);
  }

  /** The id of an entry with this content hash, if any. */
  findIdByHash(hash: string): string | undefined {
    const position = this.positionOfHash(hash);
    return position === undefined ? undefined : this.ids[position];
  }

  /** The id of the entry at a position returned by a search; undefined when it was removed. */
  idAt(position: number): string | undefined {
    return this.ids[position];
  }

  /** The entry at a position returned by a search, as it crosses the activity boundary; undefined when removed. */
  entryAt(position: number): KnowledgeChunk | undefined {
    const id = this.ids[position];
    const text = this.texts[position];
    if (id === undefined || text === undefined) return undefined;
    const kind = this.kindAt(position);
    const time = this.times[position] as number;
    const session = this.sessionOf[position] as number;
    const meta = this.metaByPosition.get(position);
    return {
      id,
      namespace: this.namespace,
      kind,
      text,
      source: this.strings.at(this.sourceOf[position] as number),
      tags: [...(this.tagSets[this.tagSetOf[position] as number] as string[])],
      createdAt: new Date(this.createdTimes[position] as number).toISOString(),
      documentId: documentIdOfEntry(this.namespace, id, kind),
      chunkIndex: this.chunkIndexes[position] as number,
      contentHash: this.contentHashAt(position),
      embedder: { name: this.embedder.name, dimensions: this.embedder.dimensions },
      ...(session < 0 ? {} : { sessionId: this.strings.at(session) }),
      ...(Number.isNaN(time) ? {} : { occurredAt: new Date(time).toISOString() }),
      ...(meta === undefined ? {} : { meta }),
    };
  }

  /** The document id of the entry at a position (for one-hit-per-document searches). */
  documentIdAt(position: number): string | undefined {
    const id = this.ids[position];
    return id === undefined ? undefined : documentIdOfEntry(this.namespace, id, this.kindAt(position));
  }

  /** The kind of the entry at a position. */
  kindAt(position: number): KnowledgeKind {
    return KINDS[this.kinds[position] as number] as KnowledgeKind;
  }

  /** The time (ms) the entry at a position refers to; NaN when it has none. */
  timeAt(position: number): number {
    return this.times[position] as number;
  }

  /** True when some live entry has a time. */
  hasTimes(): boolean {
    for (let position = 0; position < this.ids.length; position += 1) {
      if (this.ids[position] !== undefined && !Number.isNaN(this.times[position])) return true;
    }
    return false;
  }

  /** The vector of an entry, as kept (de-quantized: each value within half a step of the original). */
  vectorAt(position: number): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const scale = this.scales[position] as number;
    const offset = position * this.dimensions;
    for (let index = 0; index < this.dimensions; index += 1) {
      vector[index] = (this.matrix[offset + index] as number) * scale;
    }
    return vector;
  }

  /** A predicate over positions for a filter; undefined when it accepts every live entry. */
  acceptor(filter: EntryFilter): ((position: number) => boolean) | undefined {
    const kinds =
      filter.kinds !== undefined && filter.kinds.length > 0
        ? new Set(filter.kinds.map((kind) => KIND_CODES[kind]))
        : undefined;
    const tags = filter.tags !== undefined && filter.tags.length > 0 ? filter.tags : undefined;
    if (kinds === undefined && tags === undefined) return undefined;
    // Which tag sets carry every wanted tag, decided once per search rather than per entry.
    const acceptedTagSets =
      tags === undefined ? undefined : this.tagSets.map((set) => tags.every((tag) => set.includes(tag)));
    return (position) => {
      if (this.ids[position] === undefined) return false;
      if (kinds !== undefined && !kinds.has(this.kinds[position] as number)) return false;
      return acceptedTagSets === undefined || acceptedTagSets[this.tagSetOf[position] as number] === true;
    };
  }

  /** Number of live entries a filter accepts. */
  count(filter: EntryFilter): number {
    const accept = this.acceptor(filter);
    if (accept === undefined) return this.liveCount;
    let total = 0;
    for (let position = 0; position < this.ids.length; position += 1) if (accept(position)) total += 1;
    return total;
  }

  /** The `limit` entries with the highest cosine similarity to a unit-length `vector`, exact (brute force). */
  nearest(vector: Float32Array, limit: number, filter: EntryFilter = {}): Scored[] {
    if (vector.length !== this.dimensions) {
      throw new EmbedderMismatchError(this.namespace, this.embedder, { name: 'query', dimensions: vector.length });
    }
    const accept = this.acceptor(filter);
    const best = new TopK(limit);
    const matrix = this.matrix;
    const dimensions = this.dimensions;
    for (let position = 0; position < this.ids.length; position += 1) {
      if (this.ids[position] === undefined || (accept !== undefined && !accept(position))) continue;
      let sum = 0;
      const offset = position * dimensions;
      for (let index = 0; index < dimensions; index += 1) {
        sum += (matrix[offset + index] as number) * (vector[index] as number);
      }
      best.push(position, sum * (this.scales[position] as number));
    }
    return best.sorted();
  }

  /** The `limit` entries with the highest BM25 score for `query` (over each entry's text and context). */
  lexicalSearch(query: string, limit: number, filter: EntryFilter = {}): Scored[] {
    const accept = this.acceptor(filter);
    return this.lexical.search(query, limit, accept);
  }

  /** Live entries with their vectors, for near-duplicate checks. */
  *withVectors(filter: EntryFilter = {}): Generator<{ id: string; vector: Float32Array }> {
    const accept = this.acceptor(filter);
    for (let position = 0; position < this.ids.length; position += 1) {
      const id = this.ids[position];
      if (id === undefined || (accept !== undefined && !accept(position))) continue;
      yield { id, vector: this.vectorAt(position) };
    }
  }

  private positionOfHash(hash: string): number | undefined {
    const position = this.positionByHashPrefix.get(hashPrefix(hash));
    if (position !== undefined && this.contentHashAt(position) === hash) return position;
    return this.overflowByHash.get(hash);
  }

  private setHashPosition(hash: string, position: number): void {
    const prefix = hashPrefix(hash);
    const taken = this.positionByHashPrefix.get(prefix);
    if (taken === undefined || this.contentHashAt(taken) === hash) this.positionByHashPrefix.set(prefix, position);
    else this.overflowByHash.set(hash, position);
  }

  private deleteHashPosition(hash: string): void {
    const prefix = hashPrefix(hash);
    const taken = this.positionByHashPrefix.get(prefix);
    if (taken !== undefined && this.contentHashAt(taken) === hash) this.positionByHashPrefix.delete(prefix);
    else this.overflowByHash.delete(hash);
  }

  private contentHashAt(position: number): string {
    return Buffer.from(this.hashes.buffer, this.hashes.byteOffset + position * HASH_BYTES, HASH_BYTES).toString('hex');
  }

  private internTags(tags: readonly string[]): number {
    if (tags.length === 0) return 0;
    const key = JSON.stringify([...tags].sort());
    let index = this.tagSetIndex.get(key);
    if (index === undefined) {
      index = this.tagSets.length;
      this.tagSets.push([...tags]);
      this.tagSetIndex.set(key, index);
    }
    return index;
  }

  /**
   * Gives back the room kept for growth, after a bulk load: the columns and the vector
   * matrix grow by doubling, so up to half of them is empty otherwise.
   */
  compact(): void {
    this.resize(Math.max(1, this.ids.length));
    this.lexical.compact();
  }

  private grow(): void {
    this.resize(this.capacity * 2);
  }

  private resize(capacity: number): void {
    if (capacity === this.capacity) return;
    const used = this.ids.length;
    const matrix = new Int8Array(capacity * this.dimensions);
    matrix.set(this.matrix.subarray(0, used * this.dimensions));
    this.matrix = matrix;
    const scales = new Float32Array(capacity);
    scales.set(this.scales.subarray(0, used));
    this.scales = scales;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds.subarray(0, used));
    this.kinds = kinds;
    const tagSetOf = new Int32Array(capacity);
    tagSetOf.set(this.tagSetOf.subarray(0, used));
    this.tagSetOf = tagSetOf;
    const times = new Float64Array(capacity).fill(Number.NaN);
    times.set(this.times.subarray(0, used));
    this.times = times;
    const createdTimes = new Float64Array(capacity);
    createdTimes.set(this.createdTimes.subarray(0, used));
    this.createdTimes = createdTimes;
    const chunkIndexes = new Int32Array(capacity);
    chunkIndexes.set(this.chunkIndexes.subarray(0, used));
    this.chunkIndexes = chunkIndexes;
    const sourceOf = new Int32Array(capacity);
    sourceOf.set(this.sourceOf.subarray(0, used));
    this.sourceOf = sourceOf;
    const sessionOf = new Int32Array(capacity);
    sessionOf.set(this.sessionOf.subarray(0, used));
    this.sessionOf = sessionOf;
    const hashes = new Uint8Array(capacity * HASH_BYTES);
    hashes.set(this.hashes.subarray(0, used * HASH_BYTES));
    this.hashes = hashes;
    this.capacity = capacity;
  }
}
