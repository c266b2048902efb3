import OpenAI from 'openai';

import { embedText, startScriptedModelServer } from '../../../src/testing/scripted-model';
import type { ScriptedModelServer } from '../../../src/testing/scripted-model';

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

function cosine(left: readonly number[], right: readonly number[]): number {
  return left.reduce((sum, value, index) => sum + value * (right[index] ?? 0), 0) / (norm(left) * norm(right));
}

describe('embedText', () => {
  it('is deterministic, normalized and of the asked length', () => {
    const vector = embedText('MongoDB stores episodic memory', 32);
    expect(vector).toHaveLength(32);
    expect(embedText('MongoDB stores episodic memory', 32)).toEqual(vector);
    expect(norm(vector)).toBeCloseTo(1, 5);
  });

  it('puts texts that share words closer than unrelated texts', () => {
    const base = embedText('the quick brown fox jumps over the lazy dog', 256);
    const similar = embedText('the quick brown fox leaps over the lazy dog', 256);
    const unrelated = embedText('quarterly revenue report for the finance team', 256);
    expect(cosine(base, similar)).toBeGreaterThan(0.6);
    expect(cosine(base, similar)).toBeGreaterThan(cosine(base, unrelated) + 0.3);
  });

  it('gives a text without words a unit vector instead of zeros', () => {
    const vector = embedText('  ?! ', 8);
    expect(norm(vector)).toBeCloseTo(1, 5);
  });
});

describe('POST /v1/embeddings, through the real openai client', () => {
  let server: ScriptedModelServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startScriptedModelServer({
      script: { rules: [{ name: 'unused', reply: { content: 'x' } }], embeddings: { dimensions: 48 } },
    });
    client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('embeds a list of texts with the script dimensions, same text same vector', async () => {
    // The client asks for base64 by default and decodes it.
    const response = await client.embeddings.create({
      model: 'text-embedding-test',
      input: ['durable agents', 'durable agents', 'tool results'],
    });
    expect(response.model).toBe('text-embedding-test');
    expect(response.data.map((item) => item.index)).toEqual([0, 1, 2]);
    const [first, second, third] = response.data.map((item) => item.embedding);
    expect(first).toHaveLength(48);
    expect(second).toEqual(first);
    expect(third).not.toEqual(first);
    expect(norm(first ?? [])).toBeCloseTo(1, 5);
    // "durable agents" is 14 characters (4 tokens) twice, "tool results" 12 (3 tokens).
    expect(response.usage).toEqual({ prompt_tokens: 11, total_tokens: 11 });
  });

  it('honours the dimensions parameter and agrees between float and base64 encodings', async () => {
    const asFloat = await client.embeddings.create({
      model: 'e',
      input: 'a single text',
      dimensions: 16,
      encoding_format: 'float',
    });
    const asBase64 = await client.embeddings.create({ model: 'e', input: 'a single text', dimensions: 16 });
    expect(asFloat.data).toHaveLength(1);
    expect(asFloat.data[0]?.embedding).toHaveLength(16);
    expect(asBase64.data[0]?.embedding).toEqual(asFloat.data[0]?.embedding);
    expect(asFloat.data[0]?.embedding).toEqual(embedText('a single text', 16));
  });

  it('rejects token-id input with a 400', async () => {
    const failure = await client.embeddings
      .create({ model: 'e', input: [[1, 2, 3]], encoding_format: 'float' })
      .catch((error: unknown) => error);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((failure as Error).message).toContain('invalid embeddings request: input');
  });
});
