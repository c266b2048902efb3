import { TopK, type Scored } from './top-k';

/**
 * BM25 lexical scoring, computed in the worker (FerretDB has no `$text`, and Atlas
 * `$search` would need a second index type). Two forms: {@link bm25Scores} over a small
 * candidate list, and {@link Bm25Index}, an incremental inverted index for a namespace.
 */

/** BM25's term-frequency saturation (k1) and length normalization (b); the usual defaults. */
export interface Bm25Parameters {
  k1: number;
  b: number;
}

/** @default k1 1.2, b 0.75 (Robertson and Zaragoza's common choice). */
export const DEFAULT_BM25: Bm25Parameters = { k1: 1.2, b: 0.75 };

/** English function words: they match nearly every text and carry no topic. */
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves'
  ).split(' '),
);

/**
 * Light stemming: plural and possessive endings only ("cats" → "cat", "policies" →
 * "policy"). Heavier stemmers conflate unrelated words, and the embedding signal already
 * covers morphology.
 */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

/** The terms BM25 counts: lower-cased, diacritics removed, stopwords dropped, lightly stemmed. */
export function lexicalTerms(text: string): string[] {
  const words =
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const terms: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

/** Inverse document frequency, in the always-positive form used by Lucene. */
function inverseDocumentFrequency(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

function termFrequencies(terms: readonly string[]): Map<string, number> {
  const frequencies = new Map<string, number>();
  for (const term of terms) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
  return frequencies;
}

/**
 * BM25 scores of `query` against each document of a candidate list, with document
 * frequencies taken from the list itself. Returns one score per document, 0 when no
 * query term occurs.
 */
export function bm25Scores(
  query: string,
  documents: readonly string[],
  parameters: Bm25Parameters = DEFAULT_BM25,
): number[] {
  const queryTerms = [...new Set(lexicalTerms(query))];
  if (queryTerms.length === 0 || documents.length === 0) return documents.map(() => 0);
  const documentTerms = documents.map((document) => termFrequencies(lexicalTerms(document)));
  const lengths = documents.map((_, index) => {
    let length = 0;
    for (const count of (documentTerms[index] as Map<string, number>).values()) length += count;
    return length;
  });
  const averageLength = lengths.reduce((sum, length) => sum + length, 0) / documents.length || 1;
  const idf = new Map(
    queryTerms.map((term) => {
      const frequency = documentTerms.filter((terms) => terms.has(term)).length;
      return [term, inverseDocumentFrequency(documents.length, frequency)];
    }),
  );
  return documentTerms.map((terms, index) => {
    const length = lengths[index] as number;
    let score = 0;
    for (const term of queryTerms) {
      const frequency = terms.get(term);
      if (frequency === undefined) continue;
      const normalization = parameters.k1 * (1 - parameters.b + (parameters.b * length) / averageLength);
      score += ((idf.get(term) as number) * (frequency * (parameters.k1 + 1))) / (frequency + normalization);
    }
    return score;
  });
}

interface Posting {
  positions: number[];
  frequencies: number[];
  /** Documents containing the term that are not removed. */
  live: number;
}

/**
 * An incremental BM25 inverted index over positions (0, 1, 2, …) assigned by the caller.
 * Removal marks a position dead (postings are skipped, statistics corrected) rather than
 * rewriting postings; the owner rebuilds the index when many positions are dead.
 */
export class Bm25Index {
  private readonly postings = new Map<string, Posting>();
  private readonly lengths: number[] = [];
  private readonly removed: boolean[] = [];
  private liveDocuments = 0;
  private totalLength = 0;
  /** Reused accumulator: one slot per position. */
  private scratch = new Float64Array(0);

  constructor(private readonly parameters: Bm25Parameters = DEFAULT_BM25) {}

  /** Number of live documents. */
  get size(): number {
    return this.liveDocuments;
  }

  /** Indexes `text` at `position`, which must be new. */
  add(position: number, text: string): void {
    if (this.lengths[position] !== undefined) throw new Error(`BM25 index: position ${position} is already indexed`);
    const frequencies = termFrequencies(lexicalTerms(text));
    let length = 0;
    for (const [term, frequency] of frequencies) {
      length += frequency;
      let posting = this.postings.get(term);
      if (posting === undefined) {
        posting = { positions: [], frequencies: [], live: 0 };
        this.postings.set(term, posting);
      }
      posting.positions.push(position);
      posting.frequencies.push(frequency);
      posting.live += 1;
    }
    this.lengths[position] = length;
    this.removed[position] = false;
    this.liveDocuments += 1;
    this.totalLength += length;
  }

  /** Removes the document at `position`; `text` must be what was added there. */
  remove(position: number, text: string): void {
    if (this.lengths[position] === undefined || this.removed[position] === true) return;
    for (const term of new Set(lexicalTerms(text))) {
      const posting = this.postings.get(term);
      if (posting !== undefined) posting.live -= 1;
    }
    this.removed[position] = true;
    this.liveDocuments -= 1;
    this.totalLength -= this.lengths[position] as number;
  }

  /**
   * The `limit` best positions for `query`, best first, among positions `accept` allows.
   * Positions with no query term are not returned.
   */
  search(query: string, limit: number, accept?: (position: number) => boolean): Scored[] {
    const terms = [...new Set(lexicalTerms(query))];
    if (terms.length === 0 || this.liveDocuments === 0) return [];
    if (this.scratch.length < this.lengths.length)
      this.scratch = new Float64Array(Math.max(this.lengths.length, 1024) * 2);
    const scores = this.scratch;
    const touched: number[] = [];
    const averageLength = this.totalLength / this.liveDocuments || 1;
    const { k1, b } = this.parameters;
    for (const term of terms) {
      const posting = this.postings.get(term);
      if (posting === undefined || posting.live <= 0) continue;
      const idf = inverseDocumentFrequency(this.liveDocuments, posting.live);
      for (let index = 0; index < posting.positions.length; index += 1) {
        const position = posting.positions[index] as number;
        if (this.removed[position] === true) continue;
        if (accept !== undefined && !accept(position)) continue;
        const frequency = posting.frequencies[index] as number;
        const length = this.lengths[position] as number;
        if (scores[position] === 0) touched.push(position);
        scores[position] =
          (scores[position] as number) +
          (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * length) / averageLength));
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
