import { z } from 'zod';
import { ConfigError } from './config-error';

/**
 * Memory settings read from the environment. Validated once at start-up like the rest of
 * the config; `loadConfig` can embed {@link loadMemorySettings} as its `memory` section.
 */
export interface MemorySettings {
  /** `atlas`: MongoDB Atlas `$vectorSearch` (fails at start-up without it); `exact`: cosine in the worker; `auto`: Atlas when the server has it. */
  vectorSearch: VectorSearchSetting;
  /**
   * `openai`: the embeddings API; `hashed-ngram`: the local embedder; `minilm`: the offline
   * all-MiniLM-L6-v2 model (needs {@link miniLmModelDirectory} and onnxruntime-node);
   * `auto`: OpenAI when a key or base URL is set, else hashed n-grams.
   */
  embedder: 'auto' | 'openai' | 'hashed-ngram' | 'minilm';
  /** The all-MiniLM-L6-v2 model folder (config.json, vocab.txt, model.safetensors). */
  miniLmModelDirectory: string | undefined;
  embeddingModel: string;
  /** undefined: the model's native size (OpenAI) or 256 (hashed n-grams). */
  embeddingDimensions: number | undefined;
  /** Namespace of semantic memory when a caller names none. */
  namespace: string;
  /**
   * The agent loop's context budget: share of the smallest routed window, and an absolute
   * ceiling. The worker hands it to the model gateway, whose `describe()` carries it to workflows.
   */
  context: { share: number; maxTokens: number | undefined };
}

/** Which vector search to use. */
export type VectorSearchSetting = 'auto' | 'atlas' | 'exact';

const memoryEnvironmentSchema = z.object({
  CHASSIS_VECTOR_SEARCH: z.enum(['auto', 'atlas', 'exact']).default('auto'),
  CHASSIS_EMBEDDER: z.enum(['auto', 'openai', 'hashed-ngram', 'minilm']).default('auto'),
  CHASSIS_MINILM_MODEL_DIR: z.string().min(1).optional(),
  CHASSIS_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  CHASSIS_EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(8192).optional(),
  CHASSIS_MEMORY_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
    .default('default'),
  CHASSIS_CONTEXT_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  CHASSIS_CONTEXT_MAX_TOKENS: z.coerce.number().int().min(1000).optional(),
});

/**
 * Reads the memory settings from the environment.
 *
 * @throws {ConfigError} naming every bad variable and what it must be.
 */
export function loadMemorySettings(environment: Record<string, string | undefined> = process.env): MemorySettings {
  // Empty strings mean "unset", as in loadConfig.
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(
      ([name, value]) => name.startsWith('CHASSIS_') && value !== undefined && value !== '',
    ),
  );
  const parsed = memoryEnvironmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} is invalid: ${JSON.stringify(cleaned[name])} (${issue.message})`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const env = parsed.data;
  return {
    vectorSearch: env.CHASSIS_VECTOR_SEARCH,
    embedder: env.CHASSIS_EMBEDDER,
    miniLmModelDirectory: env.CHASSIS_MINILM_MODEL_DIR,
    embeddingModel: env.CHASSIS_EMBEDDING_MODEL,
    embeddingDimensions: env.CHASSIS_EMBEDDING_DIMENSIONS,
    namespace: env.CHASSIS_MEMORY_NAMESPACE,
    context: { share: env.CHASSIS_CONTEXT_SHARE, maxTokens: env.CHASSIS_CONTEXT_MAX_TOKENS },
  };
}
