import type { EmbedderDescription } from '../../../src/contracts/memory';
import { CachingEmbedder } from '../../../src/memory/embedders/caching-embedder';
import type { Embedder } from '../../../src/memory/embedders/embedder';
import { HashedNgramEmbedder } from '../../../src/memory/embedders/hashed-ngram-embedder';

/** A real local embedder that records each call, standing in for a paid endpoint. */
class RecordingEmbedder implements Embedder {
  readonly calls: string[][] = [];
  private readonly inner: HashedNgramEmbedder;
  readonly description: EmbedderDescription;

  constructor(dimensions = 16, name?: string) {
    this.inner = new HashedNgramEmbedder({ dimensions });
    this.description = { name: name ?? this.inner.description.name, dimensions };
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    return this.inner.embed(texts);
  }
}

describe('CachingEmbedder', () => {
  it('embeds a text once across calls and returns the same vector', async () => {
    const inner = new RecordingEmbedder();
    const cached = new CachingEmbedder(inner);
    const [first] = await cached.embed(['the task and its answer']);
    const [again] = await cached.embed(['the task and its answer']);
    expect(inner.calls).toEqual([['the task and its answer']]);
    expect(Array.from(again as Float32Array)).toEqual(Array.from(first as Float32Array));
    expect(cached.description).toEqual(inner.description);
  });

  it('sends only the texts it does not know, each once, and keeps the order of the answer', async () => {
    const inner = new RecordingEmbedder();
    const cached = new CachingEmbedder(inner);
    await cached.embed(['b']);
    const vectors = await cached.embed(['a', 'b', 'c', 'a']);
    expect(inner.calls).toEqual([['b'], ['a', 'c']]);
    const direct = await new HashedNgramEmbedder({ dimensions: 16 }).embed(['a', 'b', 'c', 'a']);
    expect(vectors.map((vector) => Array.from(vector))).toEqual(direct.map((vector) => Array.from(vector)));
  });

  it('hands out copies, so a caller normalizing in place does not change the cache', async () => {
    const cached = new CachingEmbedder(new RecordingEmbedder());
    const [first] = await cached.embed(['text']);
    const original = Array.from(first as Float32Array);
    (first as Float32Array).fill(7);
    const [again] = await cached.embed(['text']);
    expect(Array.from(again as Float32Array)).toEqual(original);
  });

  it('drops the least recently used vectors beyond its byte bound', async () => {
    const inner = new RecordingEmbedder(16);
    // Room for two vectors of 16 float32 (64 bytes each).
    const cached = new CachingEmbedder(inner, { maxBytes: 128 });
    await cached.embed(['one']);
    await cached.embed(['two']);
    await cached.embed(['one']); // "one" is now the most recent
    await cached.embed(['three']); // evicts "two"
    expect(cached.size).toBe(2);
    await cached.embed(['one']);
    await cached.embed(['two']);
    expect(inner.calls).toEqual([['one'], ['two'], ['three'], ['two']]);
  });

  it('does not cache a failed call', async () => {
    let fail = true;
    const inner = new RecordingEmbedder();
    const flaky: Embedder = {
      description: inner.description,
      embed: async (texts) => {
        if (fail) throw new Error('endpoint down');
        return inner.embed(texts);
      },
    };
    const cached = new CachingEmbedder(flaky);
    await expect(cached.embed(['text'])).rejects.toThrow('endpoint down');
    fail = false;
    await cached.embed(['text']);
    expect(inner.calls).toEqual([['text']]);
  });
});
