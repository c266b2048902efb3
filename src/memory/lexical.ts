import { lexicalTerms } from './text-normalization';
import { TopK, type Scored } from './top-k';

/**
 * BM25 lexical scoring, computed in the worker (FerretDB has no `$text`, and Atlas
 * `$search` would need a second index type). Two forms: {@link bm25Scores} over a small
 * candidate list, and {@link Bm25Index}, an incremental inverted index for a namespace.
 *
 * A document is one or more weighted fields (BM25F in its simple form): a term's frequency
 * is the weighted sum of its counts in the fields, and so is the document's length. A
 * memory's own text weighs 1 and its context (neighbouring turns, date, speaker) less, so
 * context can make a memory findable without outranking one that says it itself.
 */

export { lexicalTerms } from './text-normalization';

/** BM25's term-frequency saturation (k1) and length normalization (b); the usual defaults. */
export interface Bm25Parameters {
  k1: number;
  b: number;
}

/** @default k1 1.2, b 0.75 (Robertson and Zaragoza's common choice). */
export const DEFAULT_BM25: Bm25Parameters = { k1: 1.2, b: 0.75 };

/** One field of an indexed document: its text and how much one occurrence counts. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** A document to index: plain text (weight 1), or weighted fields. */
export type IndexedDocument = string | readonly WeightedText[];

/** Inverse document frequency, in the always-positive form used by Lucene. */
function inverseDocumentFrequency(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/** Weighted term frequencies and weighted length of a document. */
function weightedTerms(document: IndexedDocument): { frequencies: Map<string, number>; length: number } {
  const frequencies = new Map<string, number>();
  let length = 0;
  const fields = typeof document === 'string' ? [{ text: document, weight: 1 }] : document;
  for (const field of fields) {
    if (!(field.weight > 0)) continue;
    for (const term of lexicalTerms(field.text)) {
      frequencies.set(term, (frequencies.get(term) ?? 0) + field.weight);
      length += field.weight;
    }
  }
  return { frequencies, length };
}

function termScore(
  idf: number,
  frequency: number,
  length: number,
  averageLength: number,
  parameters: Bm25Parameters,
): number {
  const { k1, b } = parameters;
  return (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * length) / averageLength));
}

/**
 * BM25 scores of `query` against each document of a candidate list, with document
 * frequencies taken from the list itself. Returns one score per document, 0 when no
 * query term occurs.
 */
export function bm25Scores(
  query: string,
  documents: readonly IndexedDocument[],
  parameters: Bm25Parameters = DEFAULT_BM25,
): number[] {
  const queryTerms = [...new Set(lexicalTerms(query))];
  if (queryTerms.length === 0 || documents.length === 0) return documents.map(() => 0);
  const analyzed = documents.map(weightedTerms);
  const averageLength = analyzed.reduce((sum, document) => sum + document.length, 0) / documents.length || 1;
  const idf = new Map(
    queryTerms.map((term) => {
      const frequency = analyzed.filter((document) => document.frequencies.has(term)).length;
      return [term, inverseDocumentFrequency(documents.length, frequency)];
    }),
  );
  return analyzed.map((document) => {
    let score = 0;
    for (const term of queryTerms) {
      const frequency = document.frequencies.get(term);
      if (frequency === undefined) continue;
      score += termScore(idf.get(term) as number, frequency, document.length, averageLength, parameters);
    }
    return score;
  });
}

/** Postings at least this long are kept in typed arrays after compaction; shorter ones stay plain arrays. */
const TYPED_POSTING_MINIMUM = 32;

/**
 * The documents containing one term. Long postings live in parallel typed arrays (two
 * 4-byte numbers a posting); short ones in plain arrays, because a typed array's fixed
 * cost (a few hundred bytes) outweighs its saving below a few dozen postings, and most
 * terms are rare. They grow as plain arrays or by doubling, and {@link trim} settles them.
 */
class Posting {
  positions: number[] | Int32Array = [];
  frequencies: number[] | Float32Array = [];
  count = 0;
  /** Documents containing the term that are not removed. */
  live = 0;

  push(position: number, frequency: number): void {
    if (Array.isArray(this.positions)) {
      this.positions.push(position);
      (this.frequencies as number[]).push(frequency);
    } else {
      if (this.count === this.positions.length) {
        const positions = new Int32Array(this.count * 2);
        positions.set(this.positions);
        this.positions = positions;
        const frequencies = new Float32Array(this.count * 2);
        frequencies.set(this.frequencies);
        this.frequencies = frequencies;
      }
      this.positions[this.count] = position;
      this.frequencies[this.count] = frequency;
    }
    this.count += 1;
    this.live += 1;
  }

  /** Gives back the room kept for growth; long postings become typed arrays of their exact size. */
  trim(): void {
    if (Array.isArray(this.positions)) {
      if (this.count < TYPED_POSTING_MINIMUM) return;
      this.positions = Int32Array.from(this.positions);
      this.frequencies = Float32Array.from(this.frequencies as number[]);
      return;
    }
    if (this.count === this.positions.length) return;
    this.positions = this.positions.slice(0, this.count);
    this.frequencies = this.frequencies.slice(0, this.count);
  }
}

/**
 * An incremental BM25 inverted index over positions (0, 1, 2, …) assigned by the caller.
 * Removal marks positions dead (postings are skipped, statistics corrected) rather than
 * rewriting postings; the owner rebuilds the index when many positions are dead.
 */
export class Bm25Index {
  private readonly postings = new Map<string, Posting>();
  /** Weighted length per position; -1 marks a removed position. */
  private lengths = new Float32Array(1024);
  private positionCount = 0;
  private liveDocuments = 0;
  private totalLength = 0;
  /** Reused accumulator: one slot per position. */
  private scratch = new Float64Array(0);

  constructor(private readonly parameters: Bm25Parameters = DEFAULT_BM25) {}

  /** Number of live documents. */
  get size(): number {
    return this.liveDocuments;
  }

  /** Indexes a document at `position`, which must be new. */
  add(position: number, document: IndexedDocument): void {
    if (position < this.positionCount && this.lengths[position] !== 0) {
      throw new Error(`BM25 index: position ${position} is already indexed`);
    }
    if (position >= this.lengths.length) {
      const grown = new Float32Array(Math.max(position + 1, this.lengths.length * 2));
      grown.set(this.lengths);
      this.lengths = grown;
    }
    const { frequencies, length } = weightedTerms(document);
    for (const [term, frequency] of frequencies) {
      let posting = this.postings.get(term);
      if (posting === undefined) {
        posting = new Posting();
        this.postings.set(term, posting);
      }
      posting.push(position, frequency);
    }
    // A document without terms still counts; a tiny length keeps "indexed" distinguishable from "empty slot".
    this.lengths[position] = Math.max(length, Number.MIN_VALUE);
    this.positionCount = Math.max(this.positionCount, position + 1);
    this.liveDocuments += 1;
    this.totalLength += length;
  }

  /**
   * Gives back the room kept for growth (after a bulk load): postings grow by doubling, so
   * up to half of each is empty otherwise. Later additions grow them again.
   */
  compact(): void {
    for (const posting of this.postings.values()) posting.trim();
    if (this.lengths.length > this.positionCount) this.lengths = this.lengths.slice(0, Math.max(1, this.positionCount));
  }

  /**
   * Removes documents by position. Term statistics are corrected with one pass over the
   * postings, so no per-document term list has to be kept: removals are rare (deletes and
   * re-ingestion), documents are many.
   */
  remove(positions: Iterable<number>): void {
    const doomed = new Set<number>();
    for (const position of positions) {
      const length = this.lengths[position];
      if (position >= this.positionCount || length === undefined || length <= 0) continue;
      doomed.add(position);
      this.lengths[position] = -1;
      this.liveDocuments -= 1;
      this.totalLength -= length;
    }
    if (doomed.size === 0) return;
    for (const posting of this.postings.values()) {
      for (let index = 0; index < posting.count; index += 1) {
        if (doomed.has(posting.positions[index] as number)) posting.live -= 1;
      }
    }
  }

  /**
   * The `limit` best positions for `query`, best first, among positions `accept` allows.
   * Positions with no query term are not returned.
   */
  search(query: string, limit: number, accept?: (position: number) => boolean): Scored[] {
    const terms = [...new Set(lexicalTerms(query))];
    if (terms.length === 0 || this.liveDocuments === 0) return [];
    if (this.scratch.length < this.positionCount)
      this.scratch = new Float64Array(Math.max(this.positionCount, 1024) * 2);
    const scores = this.scratch;
    const touched: number[] = [];
    const averageLength = this.totalLength / this.liveDocuments || 1;
    for (const term of terms) {
      const posting = this.postings.get(term);
      if (posting === undefined || posting.live <= 0) continue;
      const idf = inverseDocumentFrequency(this.liveDocuments, posting.live);
      for (let index = 0; index < posting.count; index += 1) {
        const position = posting.positions[index] as number;
        const length = this.lengths[position] as number;
        if (length < 0) continue;
        if (accept !== undefined && !accept(position)) continue;
        if (scores[position] === 0) touched.push(position);
        scores[position] =
          (scores[position] as number) +
          termScore(idf, posting.frequencies[index] as number, length, averageLength, this.parameters);
      }
    }
    const best = new TopK(limit);
    for (const position of touched) {
      best.push(position, scores[position] as number);
      scores[position] = 0;
    }
    return best.sorted();
  }
}
