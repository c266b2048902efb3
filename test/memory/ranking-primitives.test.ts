import { contentHash, findNearDuplicate, normalizeForHash } from '../../src/memory/dedupe';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { reciprocalRankFusion } from '../../src/memory/rank-fusion';
import { TopK } from '../../src/memory/top-k';
import { dot } from '../../src/memory/vectors';

describe('content hash', () => {
  it('treats re-cased and re-wrapped copies as equal, other texts as different', () => {
    expect(normalizeForHash('  Hello\n\n  World ')).toBe('hello world');
    expect(contentHash('Hello world')).toBe(contentHash('hello   WORLD\n'));
    expect(contentHash('Hello world')).not.toBe(contentHash('Hello world!'));
  });
});

describe('HashedNgramEmbedder', () => {
  const embedder = new HashedNgramEmbedder({ dimensions: 256 });

  it('is deterministic, unit length, and names itself', async () => {
    const [first] = await embedder.embed(['The user prefers tea over coffee.']);
    const [second] = await embedder.embed(['The user prefers tea over coffee.']);
    expect(Array.from(first!)).toEqual(Array.from(second!));
    expect(dot(first!, first!)).toBeCloseTo(1, 5);
    expect(embedder.description).toEqual({ name: 'hashed-ngram-v1', dimensions: 256 });
  });

  it('puts texts sharing words closer than unrelated texts', async () => {
    const [query, related, unrelated] = await embedder.embed([
      'embedding vectors for search',
      'search over embeddings and vectors',
      'the weather in Lisbon is sunny',
    ]);
    expect(dot(query!, related!)).toBeGreaterThan(dot(query!, unrelated!) + 0.2);
  });

  it('finds a near duplicate above the threshold only', async () => {
    const [original, reworded, other] = await embedder.embed([
      'The deployment runs on Kubernetes in the eu-west-1 region.',
      'The deployment runs on Kubernetes in the eu-west-1 region!',
      'Lunch is at noon.',
    ]);
    const candidates = [
      { id: 'a', vector: original! },
      { id: 'b', vector: other! },
    ];
    expect(findNearDuplicate(reworded!, candidates, 0.95)?.id).toBe('a');
    expect(findNearDuplicate(other!, [{ id: 'a', vector: original! }], 0.95)).toBeUndefined();
    expect(findNearDuplicate(reworded!, candidates, 1)).toBeUndefined();
  });
});

describe('reciprocalRankFusion', () => {
  it('ranks items found by both signals above items found by one, and records each signal', () => {
    const fused = reciprocalRankFusion([
      {
        signal: 'vector',
        items: [
          { key: 'a', score: 0.9 },
          { key: 'b', score: 0.8 },
          { key: 'c', score: 0.1 },
        ],
      },
      {
        signal: 'lexical',
        items: [
          { key: 'b', score: 7 },
          { key: 'd', score: 3 },
        ],
      },
    ]);
    expect(fused.map((item) => item.key)).toEqual(['b', 'a', 'd', 'c']);
    expect(fused[0]!.signals).toEqual({ vector: { score: 0.8, rank: 2 }, lexical: { score: 7, rank: 1 } });
    expect(fused[1]!.signals).toEqual({ vector: { score: 0.9, rank: 1 } });
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
  });
});

describe('TopK', () => {
  it('keeps the k best, best first, ties by position', () => {
    const best = new TopK(3);
    [5, 1, 9, 7, 9, 3].forEach((score, position) => best.push(position, score));
    expect(best.sorted()).toEqual([
      { position: 2, score: 9 },
      { position: 4, score: 9 },
      { position: 3, score: 7 },
    ]);
  });
});
