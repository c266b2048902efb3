import type { EmbedderDescription, KnowledgeChunk, KnowledgeKind } from '../contracts/memory';
import { Bm25Index } from './lexical';
import { EmbedderMismatchError } from './memory-errors';
import { TopK, type Scored } from './top-k';

/** Which entries a search considers. */
export interface EntryFilter {
  kinds?: readonly KnowledgeKind[];
  /** Every one of these tags must be present. */
  tags?: readonly string[];
}

/**
 * A worker's in-memory copy of one namespace: the vectors in one contiguous float32
 * matrix (exact cosine is a tight loop over it), a BM25 inverted index, and the entries
 * themselves. Positions are append-only; removal leaves a hole that a rebuild (a full
 * reload by the cache) reclaims.
 */
export class NamespaceIndex {
  /** Revision of the namespace this copy reflects. */
  revision: number;
  private readonly dimensions: number;
  private matrix: Float32Array;
  private readonly entries: Array<KnowledgeChunk | undefined> = [];
  private readonly positionById = new Map<string, number>();
  private readonly positionByHash = new Map<string, number>();
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
    this.matrix = new Float32Array(this.dimensions * 1024);
  }

  /** Live entries. */
  get size(): number {
    return this.liveCount;
  }

  /** Share of positions that are holes left by removals. */
  get holeRatio(): number {
    return this.entries.length === 0 ? 0 : 1 - this.liveCount / this.entries.length;
  }

  /**
   * Adds or replaces an entry; `vector` must be unit length.
   *
   * @throws {EmbedderMismatchError} when the entry or vector is not from this namespace's embedder.
   */
  upsert(chunk: KnowledgeChunk, vector: Float32Array): void {
    if (
      chunk.embedder.name !== this.embedder.name ||
      chunk.embedder.dimensions !== this.dimensions ||
      vector.length !== this.dimensions
    ) {
      throw new EmbedderMismatchError(this.namespace, this.embedder, {
        name: chunk.embedder.name,
        dimensions: vector.length,
      });
    }
    const existing = this.positionById.get(chunk.id);
    if (existing !== undefined) {
      if (this.entries[existing]?.contentHash === chunk.contentHash) return;
      this.remove(chunk.id);
    }
    const position = this.entries.length;
    if ((position + 1) * this.dimensions > this.matrix.length) {
      const grown = new Float32Array(this.matrix.length * 2);
      grown.set(this.matrix);
      this.matrix = grown;
    }
    this.matrix.set(vector, position * this.dimensions);
    this.entries.push(chunk);
    this.positionById.set(chunk.id, position);
    if (!this.positionByHash.has(chunk.contentHash)) this.positionByHash.set(chunk.contentHash, position);
    this.lexical.add(position, chunk.text);
    this.liveCount += 1;
  }

  /** Removes an entry by id; unknown ids are ignored. */
  remove(id: string): void {
    const position = this.positionById.get(id);
    if (position === undefined) return;
    const chunk = this.entries[position];
    if (chunk === undefined) return;
    this.lexical.remove(position, chunk.text);
    this.entries[position] = undefined;
    this.positionById.delete(id);
    if (this.positionByHash.get(chunk.contentHash) === position) {
      this.positionByHash.delete(chunk.contentHash);
      // Another live entry may carry the same text (exact de-duplication was off when it was stored).
      for (let other = 0; other < this.entries.length; other += 1) {
        if (this.entries[other]?.contentHash === chunk.contentHash) {
          this.positionByHash.set(chunk.contentHash, other);
          break;
        }
      }
    }
    this.liveCount -= 1;
  }

  has(id: string): boolean {
    return this.positionById.has(id);
  }

  /** The entry with this id, if any. */
  get(id: string): KnowledgeChunk | undefined {
    const position = this.positionById.get(id);
    return position === undefined ? undefined : this.entries[position];
  }

  /** An entry with this content hash, if any. */
  findByHash(hash: string): KnowledgeChunk | undefined {
    const position = this.positionByHash.get(hash);
    return position === undefined ? undefined : this.entries[position];
  }

  /** The entry at a position returned by a search. */
  entryAt(position: number): KnowledgeChunk | undefined {
    return this.entries[position];
  }

  /** The vector of a live entry (a view into the matrix: copy it to keep it). */
  vectorAt(position: number): Float32Array {
    return this.matrix.subarray(position * this.dimensions, (position + 1) * this.dimensions);
  }

  /** A predicate over positions for a filter; undefined when it accepts every live entry. */
  acceptor(filter: EntryFilter): ((position: number) => boolean) | undefined {
    const kinds = filter.kinds !== undefined && filter.kinds.length > 0 ? new Set(filter.kinds) : undefined;
    const tags = filter.tags !== undefined && filter.tags.length > 0 ? filter.tags : undefined;
    if (kinds === undefined && tags === undefined) return undefined;
    return (position) => {
      const entry = this.entries[position];
      if (entry === undefined) return false;
      if (kinds !== undefined && !kinds.has(entry.kind)) return false;
      return tags === undefined || tags.every((tag) => entry.tags.includes(tag));
    };
  }

  /** Number of live entries a filter accepts. */
  count(filter: EntryFilter): number {
    const accept = this.acceptor(filter);
    if (accept === undefined) return this.liveCount;
    let total = 0;
    for (let position = 0; position < this.entries.length; position += 1) if (accept(position)) total += 1;
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
    for (let position = 0; position < this.entries.length; position += 1) {
      if (this.entries[position] === undefined || (accept !== undefined && !accept(position))) continue;
      let sum = 0;
      const offset = position * dimensions;
      for (let index = 0; index < dimensions; index += 1) {
        sum += (matrix[offset + index] as number) * (vector[index] as number);
      }
      best.push(position, sum);
    }
    return best.sorted();
  }

  /** The `limit` entries with the highest BM25 score for `query`. */
  lexicalSearch(query: string, limit: number, filter: EntryFilter = {}): Scored[] {
    const accept = this.acceptor(filter);
    return this.lexical.search(
      query,
      limit,
      (position) => this.entries[position] !== undefined && (accept === undefined || accept(position)),
    );
  }

  /** Live entries with their vectors, for near-duplicate checks. */
  *withVectors(filter: EntryFilter = {}): Generator<{ id: string; vector: Float32Array }> {
    const accept = this.acceptor(filter);
    for (let position = 0; position < this.entries.length; position += 1) {
      const entry = this.entries[position];
      if (entry === undefined || (accept !== undefined && !accept(position))) continue;
      yield { id: entry.id, vector: this.vectorAt(position) };
    }
  }
}
