import type { Collection, Db } from 'mongodb';
import { PLAIN_FIELDS, type FieldEncryption, type Stored } from '../codec/field-encryption';
import { ensureExpiryIndex, type ExpiryMode } from './mongo-support';

/** Collection of cached tool results. */
export const TOOL_CACHE_COLLECTION = 'tool_cache';

/** One cached result, as read back. */
export interface CachedToolResult {
  /** {@link toolCacheKey} of tool, version and arguments (keyed again by an HMAC when encrypted). */
  _id: string;
  tool: string;
  version: string;
  /** The model-facing output (an excerpt when the full text is stored under `outputRef`). */
  output: string;
  outputRef?: string;
  /** How long the original execution took: what every hit saves. */
  executionMs: number;
  createdAt: Date;
  expiresAt: Date;
}

/** One cached result as stored: the output sealed when payload encryption is on. */
type StoredToolResult = Omit<CachedToolResult, 'output'> & { output: Stored<string> };

/** What {@link ToolResultCache.put} stores. */
export interface ToolResultToCache {
  key: string;
  tool: string;
  version: string;
  output: string;
  outputRef?: string;
  executionMs: number;
  ttlSeconds: number;
}

/** Options of {@link ToolResultCache}. */
export interface ToolResultCacheOptions {
  /** @default `() => new Date()` */
  now?: () => Date;
  /** Expired entries are swept from the whole collection at most this often. @default 60_000 */
  purgeIntervalMs?: number;
  /** Encrypts outputs at rest and keys the ids, with the payload keys. @default plain */
  fields?: FieldEncryption;
}

/**
 * Results of cacheable tools across runs and tasks, in MongoDB (Temporal already keeps a
 * completed activity's result within one run). Expiry is enforced on read (an expired
 * entry is never served, and is deleted when seen) and by a periodic sweep; a TTL index
 * is created where the server has one (not FerretDB v1).
 */
export class ToolResultCache {
  private readonly collection: Collection<StoredToolResult>;
  private readonly now: () => Date;
  private readonly purgeIntervalMs: number;
  private readonly fields: FieldEncryption;
  private lastPurge = 0;
  private ready: Promise<ExpiryMode> | undefined;

  constructor(db: Db, options: ToolResultCacheOptions = {}) {
    this.collection = db.collection<StoredToolResult>(TOOL_CACHE_COLLECTION);
    this.now = options.now ?? (() => new Date());
    this.purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    this.fields = options.fields ?? PLAIN_FIELDS;
  }

  /** The stored id of a key: the key itself, or an HMAC of it when encrypted (a hash of guessable arguments would confirm a guess). */
  private idOf(key: string): string {
    return this.fields.encrypts ? this.fields.address(key) : key;
  }

  /** Creates the expiry index once; resolves to how expiry is enforced on this server. */
  ensureIndexes(): Promise<ExpiryMode> {
    this.ready ??= ensureExpiryIndex(this.collection, 'expiresAt').catch((error: unknown) => {
      this.ready = undefined; // try again next time instead of caching the failure
      throw error;
    });
    return this.ready;
  }

  /** The live entry for `key`, or undefined; an expired entry is deleted and not served. */
  async get(key: string): Promise<CachedToolResult | undefined> {
    const id = this.idOf(key);
    const entry = await this.collection.findOne({ _id: id });
    if (entry === null) return undefined;
    if (entry.expiresAt.getTime() <= this.now().getTime()) {
      // Conditional on expiresAt so a fresh entry written meanwhile by another worker survives.
      await this.collection.deleteOne({ _id: id, expiresAt: entry.expiresAt });
      return undefined;
    }
    return { ...entry, output: this.fields.openText(entry.output, outputContext(id)) };
  }

  /** Stores (or replaces) a result; sweeps expired entries now and then. */
  async put(result: ToolResultToCache): Promise<void> {
    await this.ensureIndexes();
    const now = this.now();
    const id = this.idOf(result.key);
    const entry: StoredToolResult = {
      _id: id,
      tool: result.tool,
      version: result.version,
      output: this.fields.sealText(result.output, outputContext(id)),
      ...(result.outputRef !== undefined ? { outputRef: result.outputRef } : {}),
      executionMs: result.executionMs,
      createdAt: now,
      expiresAt: new Date(now.getTime() + result.ttlSeconds * 1000),
    };
    await this.collection.replaceOne({ _id: id }, entry, { upsert: true });
    if (now.getTime() - this.lastPurge >= this.purgeIntervalMs) {
      this.lastPurge = now.getTime();
      await this.purgeExpired();
    }
  }

  /** Deletes every expired entry; returns how many. */
  async purgeExpired(): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: this.now() } });
    return deletedCount;
  }

  /** Deletes every entry of a tool (e.g. after fixing a bug without bumping its version). */
  async clearTool(tool: string): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ tool });
    return deletedCount;
  }
}

function outputContext(id: string): string {
  return `${TOOL_CACHE_COLLECTION}/${id}/output`;
}
