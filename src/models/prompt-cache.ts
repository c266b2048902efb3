import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from '../tools/mongo-support';
import { PLAIN_FIELDS, type FieldEncryption, type Stored } from '../codec/field-encryption';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';

/** Collection of cached model responses. */
export const PROMPT_CACHE_COLLECTION = 'model_prompt_cache';

/** Bumped when the key's ingredients or the stored shape change, so old entries are never served. */
const KEY_VERSION = 'prompt-cache-v1';

/** One cached response, as read back. */
export interface CachedModelResponse {
  /** {@link promptCacheKey} of the call (keyed again by an HMAC when encrypted). */
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

/** One cached response as stored: the answer sealed when payload encryption is on. */
type StoredModelResponse = Omit<CachedModelResponse, 'content' | 'toolCalls'> & {
  content: Stored<string | null>;
  toolCalls: Stored<ModelCallResult['toolCalls']>;
};

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
  /** Encrypts answers at rest and keys the ids, with the payload keys. @default plain */
  fields?: FieldEncryption;
}

/**
 * Exact-match cache of deterministic model calls (temperature 0) in MongoDB, for replays
 * of evaluation suites. Off unless the worker has a database and a call site asks for it
 * (`cache: true`). A temperature-0 answer for an identical request stays valid until the
 * model changes (a changed model is a new id), so entries live for the retention period
 * (`chassis gc`). Clear the collection to start over.
 */
export class PromptCache {
  private readonly collection: Collection<StoredModelResponse>;
  private readonly now: () => Date;
  private readonly fields: FieldEncryption;

  constructor(db: Db, options: PromptCacheOptions = {}) {
    this.collection = db.collection<StoredModelResponse>(PROMPT_CACHE_COLLECTION);
    this.now = options.now ?? (() => new Date());
    this.fields = options.fields ?? PLAIN_FIELDS;
  }

  /** The stored id of a key: the key, or an HMAC of it when encrypted (a plain hash of a guessed prompt would match). */
  private idOf(key: string): string {
    return this.fields.encrypts ? this.fields.address(key) : key;
  }

  /** The stored response for `key`, or undefined. */
  async get(key: string): Promise<CachedModelResponse | undefined> {
    const id = this.idOf(key);
    const entry = await this.collection.findOne({ _id: id });
    if (entry === null) return undefined;
    return {
      ...entry,
      content: this.fields.openJson(entry.content, fieldContext(id, 'content')),
      toolCalls: this.fields.openJson(entry.toolCalls, fieldContext(id, 'toolCalls')),
    };
  }

  /** Stores a response; an identical concurrent store (same key, same answer) is not an error. */
  async put(key: string, result: ModelCallResult): Promise<void> {
    const id = this.idOf(key);
    const entry: StoredModelResponse = {
      _id: id,
      model: result.model,
      content: this.fields.sealJson(result.content, fieldContext(id, 'content')),
      toolCalls: this.fields.sealJson(result.toolCalls, fieldContext(id, 'toolCalls')),
      finishReason: result.finishReason,
      usage: result.usage,
      costUsd: result.costUsd,
      createdAt: this.now(),
    };
    try {
      await this.collection.replaceOne({ _id: id }, entry, { upsert: true });
    } catch (error) {
      // Two workers upserting the same new key: one wins, the other's answer is the same.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Deletes every entry (of one model, when given); returns how many. */
  async clear(model?: string): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany(model === undefined ? {} : { model });
    return deletedCount;
  }
}

function fieldContext(id: string, field: string): string {
  return `${PROMPT_CACHE_COLLECTION}/${id}/${field}`;
}
