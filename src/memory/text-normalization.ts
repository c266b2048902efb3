import { eng as libraryEnglishStopwords } from 'stopword';
import porter2 from 'wink-porter2-stemmer';

/**
 * How texts become index terms, shared by BM25 and the temporal and re-ranking signals:
 * Unicode-folded, lower-cased words; English stop words dropped; each word reduced to its
 * Porter2 (Snowball English) stem, so "painted", "painting" and "paints" meet.
 */

/**
 * Stop words: the `stopword` package's English list plus question and auxiliary words it
 * leaves in ("when", "why", "does"…), which occur in nearly every question and in no
 * answer, so they only add noise to a question's match.
 */
const STOPWORDS: ReadonlySet<string> = new Set([
  ...libraryEnglishStopwords,
  ...(
    'a about above after again against am an any are aren at because been before below between both cannot could couldn did ' +
    'didn do does doesn doing don down during few further had hadn has hasn have haven having here hers herself how isn its ' +
    'itself just let ll me myself no nor not off once ours ourselves own re s shan she shouldn t theirs themselves until ve ' +
    'wasn weren what when whom why won wouldn yours yourself yourselves'
  ).split(' '),
]);

/** Stems are memoized: conversational text repeats a small vocabulary, and stemming is the costly step. */
const stems = new Map<string, string>();
const MAX_MEMOIZED_STEMS = 200_000;

/** The Porter2 stem of a lower-case word (numbers and very short words are kept whole). */
export function stemWord(word: string): string {
  if (word.length <= 3) return word;
  let stem = stems.get(word);
  if (stem === undefined) {
    stem = /^\p{N}+$/u.test(word) ? word : porter2(word);
    if (stems.size >= MAX_MEMOIZED_STEMS) stems.clear();
    stems.set(word, stem);
  }
  return stem;
}

/** Lower-cased words with diacritics removed; apostrophes inside words are dropped ("Caroline's" → "caroline", "s"). */
export function words(text: string): string[] {
  // Most text is ASCII: the Unicode folding below is the costly step, and changes nothing there.
  const folded = /[^\p{ASCII}]/u.test(text) ? text.normalize('NFKD').replace(/\p{M}/gu, '') : text;
  return folded.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** True for a word that carries no topic. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** The terms BM25 counts: words without stop words, stemmed. */
export function lexicalTerms(text: string): string[] {
  const terms: string[] = [];
  for (const word of words(text)) {
    if (STOPWORDS.has(word)) continue;
    terms.push(stemWord(word));
  }
  return terms;
}
