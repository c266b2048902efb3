import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';

/** Collection of cached model responses. */
export const PROMPT_CACHE_COLLECTION = 'model_prompt_cache';

/** Bumped when the key's ingredients or the stored shape change, so old entries are never served. */
const KEY_VERSION = 'prompt-cache-v1';

/** One cached response, as stored. */
export interface CachedModelResponse {
  /** {@link promptCacheKey} of the call. */
  _id: string;
  model: string;
  content: string | null;
  toolCalls: ModelCallResult['toolCalls'];
  finishReason: string;
  /** What the original call used and cost: what every hit saves. */
  usage: ModelCallResult['usage'];
  costUsd: number;
  createdAt: Date;
}

/**
 * True when a call may be served from, and stored in, the cache: the call site asked for
 * it and the temperature is 0, so a cached answer is one the model would give again.
 */
export function isCacheable(input: ModelCallInput): boolean {
  return input.cache === true && input.temperature === 0;
}

/**
 * The cache key of a call: SHA-256 of the canonical JSON (object keys sorted at every
 * depth, undefined fields dropped) of model, messages, tools and response format. No tools
 * and an empty tool list are the same request, as the gateway sends neither. `route`,
 * `purpose` and `cache` are labels, not part of the request, and do not count.
 */
export function promptCacheKey(input: Pick<ModelCallInput, 'model' | 'messages' | 'tools' | 'responseFormat'>): string {
  const request = {
    model: input.model,
    messages: input.messages,
    tools: input.tools !== undefined && input.tools.length > 0 ? input.tools : undefined,
    responseFormat: input.responseFormat,
  };
  return createHash('sha256')
    .update(`${KEY_VERSION}\n${stableStringify(request)}`)
    .digest('hex');
}

/** Options of {@link PromptCache}. */
export interface PromptCacheOptions {
  /** @default `() => new Date()` */
  now?: () => Date;
}

/**
 * Exact-match cache of deterministic model calls (temperature 0) in MongoDB, for replays
 * of evaluation suites. Off unless the worker has a database and a call site asks for it
 * (`cache: true`). Entries do not expire: a temperature-0 answer for an identical request
 * stays valid until the model changes, and a changed model is a new id. Clear the
 * collection to start over.
 */
export class PromptCache {
  private readonly collection: Collection<CachedModelResponse>;
  private readonly now: () => Date;

  constructor(db: Db, options: PromptCacheOptions = {}) {
    this.collection = db.collection<CachedModelResponse>(PROMPT_CACHE_COLLECTION);
    this.now = options.now ?? (() => new Date());
  }

  /** The stored response for `key`, or undefined. */
  async get(key: string): Promise<CachedModelResponse | undefined> {
    return (await this.collection.findOne({ _id: key })) ?? undefined;
  }

  /** Stores a response; an identical concurrent store (same key, same answer) is not an error. */
  async put(key: string, result: ModelCallResult): Promise<void> {
    const entry: CachedModelResponse = {
      _id: key,
      model: result.model,
      content: result.content,
      toolCalls: result.toolCalls,
      finishReason: result.finishReason,
      usage: result.usage,
      costUsd: result.costUsd,
      createdAt: this.now(),
    };
    try {
      await this.collection.replaceOne({ _id: key }, entry, { upsert: true });
    } catch (error) {
      // Two workers upserting the same new key: one wins, the other's answer is the same.
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    }
  }

  /** Deletes every entry (of one model, when given); returns how many. */
  async clear(model?: string): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany(model === undefined ? {} : { model });
    return deletedCount;
  }
}
