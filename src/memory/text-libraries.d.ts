/** Type declarations for the two text-normalization packages, which ship none. */

declare module 'wink-porter2-stemmer' {
  /** Porter2 (the Snowball English stemmer) of one lower-case word. */
  function stem(word: string): string;
  export = stem;
}

declare module 'stopword' {
  /** English stop words, lower case. */
  export const eng: readonly string[];
}
