import { dateWords, indexedFields, metadataLabels, sessionNeighbours } from '../../src/memory/memory-context';

describe('sessionNeighbours', () => {
  it('takes up to two turns on each side within the same session, in order', () => {
    const turns = [
      { session: 'a', text: 'a1' },
      { session: 'b', text: 'b1' },
      { session: 'a', text: 'a2' },
      { session: 'a', text: 'a3' },
      { session: undefined, text: 'loose' },
      { session: 'a', text: 'a4' },
      { session: 'b', text: 'b2' },
    ];
    const neighbours = sessionNeighbours(
      turns,
      (turn) => turn.session,
      (turn) => turn.text,
    );
    expect(neighbours[0]).toEqual([
      { text: 'a2', distance: 1 },
      { text: 'a3', distance: 2 },
    ]);
    expect(neighbours[3]).toEqual([
      { text: 'a2', distance: 1 },
      { text: 'a4', distance: 1 },
      { text: 'a1', distance: 2 },
    ]);
    expect(neighbours[1]).toEqual([{ text: 'b2', distance: 1 }]);
    // A record without a session has no neighbours: its place in the file says nothing.
    expect(neighbours[4]).toEqual([]);
  });
});

describe('indexedFields', () => {
  it('indexes the text at full weight, neighbours at half per step, and date and labels as context', () => {
    expect(
      indexedFields({
        text: 'Yes, twice last month!',
        context: [
          { text: 'Have you been to the beach?', distance: 1 },
          { text: 'It was sunny.', distance: 2 },
        ],
        occurredAt: new Date('2023-05-08T13:56:00Z'),
        meta: { speaker: 'Melanie', photo: 'a photo of a beach', notes: 'x'.repeat(200), count: 3 },
      }),
    ).toEqual([
      { text: 'Yes, twice last month!', weight: 1 },
      { text: 'Have you been to the beach?', weight: 0.5 },
      { text: 'It was sunny.', weight: 0.25 },
      { text: '8 May 2023 Melanie a photo of a beach', weight: 0.5 },
    ]);
    expect(indexedFields({ text: 'alone' })).toEqual([{ text: 'alone', weight: 1 }]);
  });

  it('writes dates as words and keeps only short string labels', () => {
    expect(dateWords(new Date('2023-12-31T23:59:00Z'))).toBe('31 December 2023');
    expect(metadataLabels({ speaker: 'Ann', long: 'y'.repeat(81), flag: true, nested: { a: 'b' } })).toEqual(['Ann']);
    expect(metadataLabels(undefined)).toEqual([]);
  });
});
