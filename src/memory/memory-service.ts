import { MongoClient, type Db } from 'mongodb';
import { PayloadKeyring } from '../codec/encryption-keys';
import { FieldEncryption } from '../codec/field-encryption';
import type { ChassisConfig } from '../config/load-config';
import type { KnowledgeChunk, KnowledgeKind, SearchKnowledgeInput, SearchKnowledgeResult } from '../contracts/memory';
import { AtlasVectorSearch } from './atlas-vector-search';
import { ensureMemoryIndexes, type MemoryCapabilities } from './database';
import { createEmbedder } from './embedders/create-embedder';
import type { Embedder } from './embedders/embedder';
import { searchKnowledge } from './hybrid-search';
import { KnowledgeIndexCache } from './knowledge-index-cache';
import { KnowledgeStore, type ImportOptions, type ImportRecord, type ImportResult } from './knowledge-store';
import { loadMemorySettings, type MemorySettings } from '../config/memory-settings';

/** One query of a batch search. */
export interface BatchQuery {
  id: string;
  query: string;
}

/** One answer of a batch search: result ids are the document ids given at import. */
export interface BatchAnswer {
  id: string;
  results: Array<{ id: string; score: number }>;
}

/** Options of {@link MemoryService.open}. */
export interface OpenMemoryOptions {
  /** @default read from the environment */
  settings?: MemorySettings;
  /** @default chosen from the config and settings */
  embedder?: Embedder;
}

/**
 * Semantic memory for programs and the `chassis memory` commands
 * (`src/client/commands/memory.ts`): the same stores and search the activities use,
 * without Temporal.
 */
export class MemoryService {
  readonly store: KnowledgeStore;
  private readonly atlas: AtlasVectorSearch | undefined;

  private constructor(
    readonly db: Db,
    readonly embedder: Embedder,
    readonly settings: MemorySettings,
    readonly capabilities: MemoryCapabilities,
    private readonly client: MongoClient | undefined,
    fields: FieldEncryption,
  ) {
    this.store = new KnowledgeStore(db, embedder, { cache: new KnowledgeIndexCache(db, { fields }) });
    this.atlas =
      capabilities.atlasVectorSearch && settings.vectorSearch !== 'exact' ? new AtlasVectorSearch(db) : undefined;
  }

  /** Connects to the configured MongoDB, ensures the indexes and picks the embedder. Close it when done. */
  static async open(config: ChassisConfig, options: OpenMemoryOptions = {}): Promise<MemoryService> {
    // Fail in seconds, not the driver's default 30 s, when the database is down.
    const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 });
    try {
      await client.connect();
      return await MemoryService.over(client.db(config.mongo.database), config, options, client);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Uses an existing database handle (the caller keeps ownership of its client). */
  static async over(
    db: Db,
    config: ChassisConfig,
    options: OpenMemoryOptions = {},
    client?: MongoClient,
  ): Promise<MemoryService> {
    const settings = options.settings ?? loadMemorySettings();
    const embedder = options.embedder ?? createEmbedder(config, settings);
    const capabilities = await ensureMemoryIndexes(db, {
      vectorSearch: settings.vectorSearch,
      embedder: embedder.description,
    });
    // The payload keys: knowledge written with encryption on is read (and written) sealed.
    return new MemoryService(
      db,
      embedder,
      settings,
      capabilities,
      client,
      new FieldEncryption(PayloadKeyring.of(config.codec.payloadKeys)),
    );
  }

  /** Imports records (see {@link KnowledgeStore.importRecords}). */
  import(
    records: readonly ImportRecord[],
    options: ImportOptions & { namespace?: string } = {},
  ): Promise<ImportResult> {
    return this.store.importRecords(options.namespace ?? this.settings.namespace, records, options);
  }

  /** Searches one namespace. */
  search(input: Omit<SearchKnowledgeInput, 'namespace'> & { namespace?: string }): Promise<SearchKnowledgeResult> {
    return searchKnowledge(
      {
        db: this.db,
        embedder: this.embedder,
        cache: this.store.cache,
        vectorSearch: this.settings.vectorSearch,
        atlas: this.atlas,
      },
      { ...input, namespace: input.namespace ?? this.settings.namespace },
    );
  }

  /** Runs queries one after another; each answer lists the best documents (ids given at import). */
  async searchBatch(
    queries: readonly BatchQuery[],
    options: { namespace?: string; k?: number } = {},
  ): Promise<BatchAnswer[]> {
    const answers: BatchAnswer[] = [];
    for (const query of queries) {
      const result = await this.search({
        namespace: options.namespace,
        query: query.query,
        k: options.k,
        groupBy: 'document',
      });
      answers.push({
        id: query.id,
        results: result.hits.map((hit) => ({ id: hit.chunk.documentId, score: hit.score })),
      });
    }
    return answers;
  }

  /** Entries of a namespace, newest first. */
  list(
    options: { namespace?: string; kinds?: KnowledgeKind[]; limit?: number; skip?: number } = {},
  ): Promise<KnowledgeChunk[]> {
    return this.store.list(options.namespace ?? this.settings.namespace, options);
  }

  /** Number of entries in a namespace. */
  count(namespace: string): Promise<number> {
    return this.store.count(namespace);
  }

  /** Every namespace with its embedder. */
  namespaces() {
    return this.store.listNamespaces();
  }

  /** Deletes entries by id or document id, or the whole namespace when neither is given. */
  delete(namespace: string, selector: { ids?: string[]; documentIds?: string[] } = {}): Promise<{ deleted: number }> {
    return this.store.delete(namespace, selector);
  }

  /** Closes the MongoDB client when this service opened it. */
  async close(): Promise<void> {
    await this.client?.close();
  }
}
