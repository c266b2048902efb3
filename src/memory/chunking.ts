import { estimateTextTokens } from '../shared/estimate-tokens';

/** Options of {@link chunkText}. */
export interface ChunkingOptions {
  /** Largest chunk in tokens. @default 400 */
  maxTokens?: number;
  /** Tokens of trailing sentences repeated at the start of the next chunk, so a fact cut at a boundary is whole in one of them. @default 60 */
  overlapTokens?: number;
  /** Token counter. @default the deterministic estimate the workflows use (errs high) */
  countTokens?: (text: string) => number;
}

/** One chunk: its text, where it is in the source, and its token count. */
export interface TextChunk {
  /** 0-based. */
  index: number;
  text: string;
  /** Offsets in the source text: `text === source.slice(start, end)`. */
  start: number;
  end: number;
  tokens: number;
}

/** A span of the source that is never split further unless it alone exceeds the limit. */
interface Unit {
  start: number;
  end: number;
  tokens: number;
}

/** Trims whitespace off a span; undefined when nothing is left. */
function trimmedSpan(text: string, start: number, end: number): { start: number; end: number } | undefined {
  let from = start;
  let to = end;
  while (from < to && /\s/.test(text[from] as string)) from += 1;
  while (to > from && /\s/.test(text[to - 1] as string)) to -= 1;
  return from < to ? { start: from, end: to } : undefined;
}

/** Spans between separators matched by `separator` (which must be global). */
function splitSpans(
  text: string,
  start: number,
  end: number,
  separator: RegExp,
): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  const slice = text.slice(start, end);
  let from = 0;
  separator.lastIndex = 0;
  for (let match = separator.exec(slice); match !== null; match = separator.exec(slice)) {
    // Sentence separators keep their punctuation with the sentence before them.
    const cut = match.index + (match[1]?.length ?? 0);
    const span = trimmedSpan(text, start + from, start + cut);
    if (span !== undefined) spans.push(span);
    from = match.index + match[0].length;
    if (match[0].length === 0) separator.lastIndex += 1;
  }
  const rest = trimmedSpan(text, start + from, end);
  if (rest !== undefined) spans.push(rest);
  return spans;
}

const PARAGRAPH_BREAK = /\n[ \t]*\n\s*/g;
/** A sentence ends at . ! ? (with closing quotes or brackets) followed by space, or at a line break. */
const SENTENCE_END = /([.!?…]+["'”’)\]]*)\s+|\n+/g;

/** Cuts a span that is too long at word boundaries (and a single overlong "word" by characters). */
function splitByWords(
  text: string,
  span: { start: number; end: number },
  maxTokens: number,
  count: (text: string) => number,
): Unit[] {
  const units: Unit[] = [];
  const words = splitSpans(text, span.start, span.end, /\s+/g);
  let current: { start: number; end: number } | undefined;
  let currentTokens = 0;
  const flush = (): void => {
    if (current !== undefined) units.push({ ...current, tokens: currentTokens });
    current = undefined;
    currentTokens = 0;
  };
  for (const word of words) {
    const wordTokens = count(text.slice(word.start, word.end));
    if (wordTokens > maxTokens) {
      flush();
      // A base64 blob or a minified line: characters are all there is to cut at.
      const step = Math.max(1, Math.floor(((word.end - word.start) * maxTokens) / wordTokens));
      for (let from = word.start; from < word.end; from += step) {
        const to = Math.min(word.end, from + step);
        units.push({ start: from, end: to, tokens: count(text.slice(from, to)) });
      }
      continue;
    }
    if (current !== undefined && currentTokens + 1 + wordTokens > maxTokens) flush();
    current = current === undefined ? { ...word } : { start: current.start, end: word.end };
    currentTokens += (currentTokens === 0 ? 0 : 1) + wordTokens;
  }
  flush();
  return units;
}

/** Paragraphs, or sentences of paragraphs that are too long, or word runs of sentences that are too long. */
function units(text: string, maxTokens: number, count: (text: string) => number): Unit[] {
  const result: Unit[] = [];
  for (const paragraph of splitSpans(text, 0, text.length, PARAGRAPH_BREAK)) {
    const paragraphTokens = count(text.slice(paragraph.start, paragraph.end));
    if (paragraphTokens <= maxTokens) {
      result.push({ ...paragraph, tokens: paragraphTokens });
      continue;
    }
    for (const sentence of splitSpans(text, paragraph.start, paragraph.end, SENTENCE_END)) {
      const sentenceTokens = count(text.slice(sentence.start, sentence.end));
      if (sentenceTokens <= maxTokens) result.push({ ...sentence, tokens: sentenceTokens });
      else result.push(...splitByWords(text, sentence, maxTokens, count));
    }
  }
  return result;
}

/**
 * Cuts a text into chunks of at most `maxTokens`, at paragraph boundaries where possible,
 * else at sentence boundaries, else at word boundaries. Consecutive chunks share up to
 * `overlapTokens` of whole trailing sentences, so a statement cut at a boundary is whole
 * in one of them. Deterministic; an empty text gives no chunks.
 */
export function chunkText(text: string, options: ChunkingOptions = {}): TextChunk[] {
  const maxTokens = options.maxTokens ?? 400;
  const overlapTokens = Math.min(options.overlapTokens ?? 60, Math.floor(maxTokens / 2));
  if (!(maxTokens >= 8)) throw new RangeError(`maxTokens must be at least 8, got ${maxTokens}`);
  const count = options.countTokens ?? estimateTextTokens;
  const pieces = units(text, maxTokens, count);
  const chunks: TextChunk[] = [];
  let current: Unit[] = [];
  // +1 per join: the whitespace between units may cost a token.
  const tokensOf = (group: readonly Unit[]): number =>
    group.reduce((sum, unit) => sum + unit.tokens, 0) + Math.max(0, group.length - 1);
  const emit = (group: readonly Unit[]): void => {
    const first = group[0];
    const last = group[group.length - 1];
    if (first === undefined || last === undefined) return;
    chunks.push({
      index: chunks.length,
      text: text.slice(first.start, last.end),
      start: first.start,
      end: last.end,
      tokens: tokensOf(group),
    });
  };
  for (const piece of pieces) {
    if (current.length > 0 && tokensOf([...current, piece]) > maxTokens) {
      emit(current);
      // Overlap: the longest run of trailing units within the overlap budget that still leaves room for the new unit.
      const overlap: Unit[] = [];
      for (let index = current.length - 1; index >= 0; index -= 1) {
        const candidate = [current[index] as Unit, ...overlap];
        if (tokensOf(candidate) > overlapTokens || tokensOf([...candidate, piece]) > maxTokens) break;
        overlap.unshift(current[index] as Unit);
      }
      current = overlap;
    }
    current.push(piece);
  }
  emit(current);
  return chunks;
}
