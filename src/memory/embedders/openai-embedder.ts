import OpenAI from 'openai';
import type { EmbedderDescription } from '../../contracts/memory';
import { translateProviderError } from '../../models/provider-errors';
import type { EmbedOptions, Embedder } from './embedder';

/** Options of {@link OpenAIEmbedder}. */
export interface OpenAIEmbedderOptions {
  /** @default 'text-embedding-3-small' */
  model?: string;
  /**
   * Vector length. Sent to the API (text-embedding-3 models can shorten their vectors) when
   * given; otherwise the model's native size from {@link KNOWN_DIMENSIONS}.
   */
  dimensions?: number;
  /** @default the OpenAI API */
  baseUrl?: string;
  /** Endpoints such as the scripted model server or Ollama accept any key. */
  apiKey?: string;
  /** Per-request timeout; kept below the activity's start-to-close timeout. @default 60000 */
  timeoutMs?: number;
  /** Texts per request; OpenAI accepts up to 2048. @default 256 */
  batchSize?: number;
}

/** Native vector sizes of OpenAI's embedding models. */
export const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/**
 * Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint. One retry layer: the
 * client never retries (`maxRetries: 0`), the engine retries the activity, and provider
 * errors are translated by the same function as chat calls.
 */
export class OpenAIEmbedder implements Embedder {
  readonly description: EmbedderDescription;
  private readonly client: OpenAI;
  private readonly model: string;
  private readonly requestDimensions: number | undefined;
  private readonly batchSize: number;

  constructor(options: OpenAIEmbedderOptions = {}) {
    this.model = options.model ?? 'text-embedding-3-small';
    const dimensions = options.dimensions ?? KNOWN_DIMENSIONS[this.model];
    if (dimensions === undefined) {
      throw new Error(
        `embedding model "${this.model}" has no known vector size: set CHASSIS_EMBEDDING_DIMENSIONS to the size it returns`,
      );
    }
    this.requestDimensions = options.dimensions;
    this.description = { name: `openai:${this.model}`, dimensions };
    this.batchSize = options.batchSize ?? 256;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseUrl,
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: 0,
    });
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      let response: OpenAI.Embeddings.CreateEmbeddingResponse;
      try {
        response = await this.client.embeddings.create(
          {
            model: this.model,
            // An empty string is rejected by the API; a space embeds as "nothing here".
            input: batch.map((text) => (text === '' ? ' ' : text)),
            ...(this.requestDimensions === undefined ? {} : { dimensions: this.requestDimensions }),
          },
          { signal: options.signal },
        );
      } catch (error) {
        throw translateProviderError(error, this.model);
      }
      const ordered = [...response.data].sort((left, right) => left.index - right.index);
      if (ordered.length !== batch.length) {
        throw new Error(`embedding model ${this.model} returned ${ordered.length} vectors for ${batch.length} texts`);
      }
      for (const item of ordered) {
        if (item.embedding.length !== this.description.dimensions) {
          // A silently different size would make every later comparison garbage.
          throw new Error(
            `embedding model ${this.model} returned ${item.embedding.length} dimensions, expected ${this.description.dimensions}: set CHASSIS_EMBEDDING_DIMENSIONS to match the model`,
          );
        }
        vectors.push(Float32Array.from(item.embedding));
      }
    }
    return vectors;
  }
}
