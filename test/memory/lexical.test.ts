import { Bm25Index, bm25Scores, lexicalTerms } from '../../src/memory/lexical';

const documents = [
  'The cat sat on the mat.',
  'Dogs and cats are common pets; cats purr.',
  'MongoDB stores documents in collections.',
  'Temporal workflows are durable and replay their history.',
  'A very long document about gardening, soil, compost, seeds, watering schedules, and the cat that digs in the garden beds every morning.',
];

describe('lexicalTerms', () => {
  it('lower-cases, drops stopwords and diacritics, strips plurals', () => {
    expect(lexicalTerms('The Cats of Café Policies')).toEqual(['cat', 'cafe', 'policy']);
    expect(lexicalTerms('class status analysis')).toEqual(['class', 'status', 'analysis']);
  });
});

describe('bm25Scores', () => {
  it('scores only documents containing a query term, rarer terms higher', () => {
    const scores = bm25Scores('cat mongodb', documents);
    expect(scores[3]).toBe(0);
    expect(scores[2]).toBeGreaterThan(0);
    // "mongodb" occurs once in the list, "cat" three times: the rare term weighs more.
    expect(scores[2]).toBeGreaterThan(scores[0]!);
  });

  it('prefers shorter documents at equal term frequency, and saturates repeated terms', () => {
    const scores = bm25Scores('cat', documents);
    expect(scores[0]).toBeGreaterThan(scores[4]!);
    const repeated = bm25Scores('cat', ['cat', 'cat cat cat cat cat cat cat cat', 'dog']);
    expect(repeated[1]).toBeGreaterThan(repeated[0]!);
    expect(repeated[1]! / repeated[0]!).toBeLessThan(2.2);
  });

  it('gives zeros for a query of stopwords only', () => {
    expect(bm25Scores('the and of', documents)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('Bm25Index', () => {
  it('matches bm25Scores over the same documents', () => {
    const index = new Bm25Index();
    documents.forEach((document, position) => index.add(position, document));
    const expected = bm25Scores('cat garden', documents);
    const results = index.search('cat garden', 10);
    for (const result of results) expect(result.score).toBeCloseTo(expected[result.position]!, 10);
    expect(results.map((result) => result.position)).toEqual(
      expected
        .map((score, position) => ({ score, position }))
        .filter((item) => item.score > 0)
        .sort((a, b) => b.score - a.score)
        .map((item) => item.position),
    );
  });

  it('forgets removed documents, statistics included', () => {
    const index = new Bm25Index();
    documents.forEach((document, position) => index.add(position, document));
    index.remove(0, documents[0]!);
    expect(index.size).toBe(documents.length - 1);
    const rest = documents.slice(1);
    const expected = bm25Scores('cat', rest);
    const results = index.search('cat', 10);
    expect(results.map((result) => result.position)).not.toContain(0);
    for (const result of results) expect(result.score).toBeCloseTo(expected[result.position - 1]!, 10);
  });

  it('applies a filter and a limit', () => {
    const index = new Bm25Index();
    documents.forEach((document, position) => index.add(position, document));
    expect(index.search('cat', 1)).toHaveLength(1);
    expect(index.search('cat', 10, (position) => position !== 1).map((result) => result.position)).not.toContain(1);
  });
});
