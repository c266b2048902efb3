import { Bm25Index, bm25Scores, lexicalTerms } from '../../src/memory/lexical';

const documents = [
  'The cat sat on the mat.',
  'Dogs and cats are common pets; cats purr.',
  'MongoDB stores documents in collections.',
  'Temporal workflows are durable and replay their history.',
  'A very long document about gardening, soil, compost, seeds, watering schedules, and the cat that digs in the garden beds every morning.',
];

describe('lexicalTerms', () => {
  it('lower-cases, drops stop words and diacritics, and reduces words to their Porter2 stems', () => {
    expect(lexicalTerms('The Cats of Café Policies')).toEqual(['cat', 'cafe', 'polici']);
    // Inflections meet: what a question asks and how a turn says it.
    expect(lexicalTerms('painted painting paints')).toEqual(['paint', 'paint', 'paint']);
    expect(lexicalTerms('researching adoption agencies')).toEqual(lexicalTerms('researched adopting agency'));
    // Question words are stop words: they are in every question and no answer.
    expect(lexicalTerms('When did she go, and why?')).toEqual(['go']);
    // Numbers and short words are kept whole.
    expect(lexicalTerms('May 2023, 18th')).toEqual(['may', '2023', '18th']);
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
    index.remove([0]);
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

describe('weighted fields', () => {
  it('counts a context word less than the same word in the text, more than its absence', () => {
    const index = new Bm25Index();
    index.add(0, [{ text: 'the greyhound sleeps on the sofa', weight: 1 }]);
    index.add(1, [
      { text: 'she sleeps all day', weight: 1 },
      { text: 'we adopted a greyhound', weight: 0.5 },
    ]);
    index.add(2, [{ text: 'she sleeps all day', weight: 1 }]);
    const [first, second, third] = index.search('greyhound sleeps', 3);
    expect([first?.position, second?.position, third?.position]).toEqual([0, 1, 2]);
  });

  it('matches bm25Scores for the same weighted documents', () => {
    const weighted = [
      [
        { text: 'cat on a mat', weight: 1 },
        { text: 'garden cat', weight: 0.25 },
      ],
      [{ text: 'garden beds', weight: 1 }],
      [
        { text: 'dogs', weight: 1 },
        { text: 'cat garden cat', weight: 0.5 },
      ],
    ];
    const index = new Bm25Index();
    weighted.forEach((document, position) => index.add(position, document));
    const expected = bm25Scores('cat garden', weighted);
    for (const result of index.search('cat garden', 10)) {
      expect(result.score).toBeCloseTo(expected[result.position]!, 5);
    }
  });

  it('scores the same after compaction, and keeps growing after it', () => {
    const index = new Bm25Index();
    documents.forEach((document, position) => index.add(position, document));
    const before = index.search('cat garden', 10);
    index.compact();
    expect(index.search('cat garden', 10)).toEqual(before);
    index.add(documents.length, 'a kitten');
    expect(index.search('kitten', 10).map((result) => result.position)).toEqual([documents.length]);
  });

  it('removes several documents in one call', () => {
    const index = new Bm25Index();
    documents.forEach((document, position) => index.add(position, document));
    index.remove([0, 1, 4]);
    expect(index.size).toBe(2);
    expect(index.search('cat', 10)).toEqual([]);
    const rest = [documents[2]!, documents[3]!];
    const expected = bm25Scores('mongodb workflows', rest);
    for (const result of index.search('mongodb workflows', 10)) {
      expect(result.score).toBeCloseTo(expected[result.position - 2]!, 10);
    }
  });
});
