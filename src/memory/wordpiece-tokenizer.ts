/**
 * BERT's uncased tokenizer, as the sentence-transformers MiniLM models were trained with:
 * text cleaned, lower-cased and stripped of accents, split at whitespace and punctuation
 * (CJK characters one by one), then each word cut into the longest pieces of the
 * vocabulary, greedily from the left ("lgbtq" → "lgbt", "##q"); [CLS] … [SEP] around.
 */
export class WordPieceTokenizer {
  private readonly ids: Map<string, number>;
  private readonly unknown: number;
  private readonly start: number;
  private readonly end: number;

  /** `vocabulary`: the lines of `vocab.txt`, one token per line, its line number its id. */
  constructor(vocabulary: readonly string[]) {
    this.ids = new Map(vocabulary.map((token, index) => [token.replace(/\r$/, ''), index]));
    const required = (token: string): number => {
      const id = this.ids.get(token);
      if (id === undefined) throw new Error(`the vocabulary has no ${token} token: is it a BERT vocab.txt?`);
      return id;
    };
    this.unknown = required('[UNK]');
    this.start = required('[CLS]');
    this.end = required('[SEP]');
  }

  /** Words and punctuation marks of a text, cleaned and lower-cased, accents removed. */
  basicTokens(text: string): string[] {
    const cleaned = text
      .replace(/\p{Cc}|\u{fffd}/gu, (character) => (/\s/.test(character) ? ' ' : ''))
      .replace(/([\u{4e00}-\u{9fff}\u{3400}-\u{4dbf}\u{f900}-\u{faff}])/gu, ' $1 ')
      .toLowerCase()
      .normalize('NFD')
      .replace(/\p{Mn}/gu, '');
    const tokens: string[] = [];
    for (const word of cleaned.split(/\s+/)) {
      let current = '';
      for (const character of word) {
        if (isPunctuation(character)) {
          if (current !== '') tokens.push(current);
          tokens.push(character);
          current = '';
        } else {
          current += character;
        }
      }
      if (current !== '') tokens.push(current);
    }
    return tokens;
  }

  /** The vocabulary ids of a text, [CLS] first and [SEP] last, at most `maxTokens` in all. */
  encode(text: string, maxTokens = 256): number[] {
    const ids = [this.start];
    for (const word of this.basicTokens(text)) {
      for (const id of this.pieces(word)) {
        if (ids.length >= maxTokens - 1) break;
        ids.push(id);
      }
    }
    ids.push(this.end);
    return ids;
  }

  private pieces(word: string): number[] {
    if (word.length > 100) return [this.unknown];
    const pieces: number[] = [];
    let from = 0;
    while (from < word.length) {
      let to = word.length;
      let found: number | undefined;
      while (from < to) {
        found = this.ids.get(`${from > 0 ? '##' : ''}${word.slice(from, to)}`);
        if (found !== undefined) break;
        to -= 1;
      }
      if (found === undefined) return [this.unknown];
      pieces.push(found);
      from = to;
    }
    return pieces;
  }
}

/** BERT's notion of punctuation: ASCII symbols as well as Unicode punctuation. */
function isPunctuation(character: string): boolean {
  const code = character.codePointAt(0) as number;
  if (
    (code >= 33 && code <= 47) ||
    (code >= 58 && code <= 64) ||
    (code >= 91 && code <= 96) ||
    (code >= 123 && code <= 126)
  )
    return true;
  return /\p{P}/u.test(character);
}
