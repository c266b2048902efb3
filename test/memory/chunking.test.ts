import { chunkText } from '../../src/memory/chunking';
import { estimateTextTokens } from '../../src/shared/estimate-tokens';

function paragraph(topic: string, sentences: number): string {
  return Array.from(
    { length: sentences },
    (_, index) => `The ${topic} note number ${index + 1} says something specific about ${topic}.`,
  ).join(' ');
}

describe('chunkText', () => {
  it('gives no chunks for an empty or blank text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('  \n\n \t')).toEqual([]);
  });

  it('keeps a short text whole, trimmed', () => {
    const chunks = chunkText('  Hello there. How are you?  ');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ index: 0, text: 'Hello there. How are you?', start: 2 });
  });

  it('cuts at paragraph boundaries when paragraphs fit', () => {
    const text = [paragraph('alpha', 4), paragraph('beta', 4), paragraph('gamma', 4)].join('\n\n');
    const chunks = chunkText(text, { maxTokens: 70, overlapTokens: 0 });
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      paragraph('alpha', 4),
      paragraph('beta', 4),
      paragraph('gamma', 4),
    ]);
  });

  it('splits long paragraphs at sentence ends, every chunk within the limit, offsets exact', () => {
    const text = `${paragraph('delta', 30)}\n\n${paragraph('epsilon', 30)}`;
    const chunks = chunkText(text, { maxTokens: 80, overlapTokens: 20 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(80);
      expect(estimateTextTokens(chunk.text)).toBeLessThanOrEqual(80);
      expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
      // Sentence boundaries: every chunk starts with a sentence and ends with a full stop.
      expect(chunk.text).toMatch(/^The /);
      expect(chunk.text).toMatch(/\.$/);
    }
    // Every sentence is in some chunk.
    for (const sentence of text.split(/(?<=\.)\s+/)) {
      expect(chunks.some((chunk) => chunk.text.includes(sentence.trim()))).toBe(true);
    }
  });

  it('repeats trailing sentences of one chunk at the start of the next (overlap)', () => {
    const text = paragraph('zeta', 40);
    const chunks = chunkText(text, { maxTokens: 60, overlapTokens: 20 });
    for (let index = 1; index < chunks.length; index += 1) {
      const previous = chunks[index - 1]!;
      const current = chunks[index]!;
      expect(current.start).toBeLessThan(previous.end);
      const lastSentence = previous.text.split(/(?<=\.)\s+/).pop()!;
      expect(current.text.startsWith(lastSentence)).toBe(true);
    }
    expect(
      chunkText(text, { maxTokens: 60, overlapTokens: 0 }).every(
        (chunk, index, all) => index === 0 || chunk.start >= all[index - 1]!.end,
      ),
    ).toBe(true);
  });

  it('cuts a sentence without punctuation at word boundaries, and an overlong token by characters', () => {
    const words = Array.from({ length: 300 }, (_, index) => `word${index}`).join(' ');
    const blob = 'x'.repeat(5000);
    for (const text of [words, blob]) {
      const chunks = chunkText(text, { maxTokens: 50, overlapTokens: 0 });
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) expect(estimateTextTokens(chunk.text)).toBeLessThanOrEqual(50);
      expect(chunks.map((chunk) => chunk.text).join(text === blob ? '' : ' ')).toBe(text);
    }
  });

  it('is deterministic', () => {
    const text = `${paragraph('eta', 25)}\n\n${paragraph('theta', 7)}`;
    expect(chunkText(text, { maxTokens: 64 })).toEqual(chunkText(text, { maxTokens: 64 }));
  });
});
