import type { DataConverter } from '@temporalio/common';
import type { Db } from 'mongodb';
import { createDataConverter } from '../codec/data-converter';
import { PayloadKeyring } from '../codec/encryption-keys';
import { FieldEncryption } from '../codec/field-encryption';
import type { ActivityDependencies } from '../activities';
import type { MemoryActivityDependencies } from '../activities/memory-activities';
import { ConfigError } from '../config/config-error';
import { usesScriptedModel, type ChassisConfig } from '../config/load-config';
import type { EmbedderDescription } from '../contracts/memory';
import type { ModelCatalog } from '../models/catalog';
import { loadModelCatalog } from '../models/load-model-catalog';
import { ModelGateway } from '../models/model-gateway';
import { buildToolRegistry } from '../tools/build-tool-registry';
import { ToolEffectLedger } from '../tools/effect-ledger';
import { ToolResultCache } from '../tools/result-cache';
import { ensureMemoryIndexes, type MemoryCapabilities } from '../memory/database';
import { CachingEmbedder } from '../memory/embedders/caching-embedder';
import { createEmbedder } from '../memory/embedders/create-embedder';
import { EpisodeWindowCache } from '../memory/episode-window-cache';
import { KnowledgeIndexCache } from '../memory/knowledge-index-cache';
import { isMongoUnavailable } from '../memory/memory-errors';
import { memoryToolDependencies, memoryTools } from '../memory/memory-tools';
import { TaskEventLog } from '../events/task-event-log';
import { modelEndpointTargets, type ModelEndpointTarget } from './model-endpoints';
import { FatalSetupError, MongoConnection } from './mongo-connection';

/**
 * A model endpoint that stands in for a real one when neither `OPENAI_API_KEY` nor
 * `OPENAI_BASE_URL` is set. The CLI passes one (the scripted offline model of
 * `src/client/offline`); the worker layer itself starts no test double.
 */
export interface OfflineModel {
  /** OpenAI-compatible base URL every model's calls go to. */
  baseUrl: string;
  /** Said to the user once: where the answers come from. */
  notice: string;
  close(): Promise<void>;
}

/** Activity dependencies plus what must be closed when the process ends. */
export interface BuiltDependencies {
  dependencies: ActivityDependencies;
  /** The payload codec chain workers and clients share. */
  dataConverter: DataConverter;
  /** Set when answers come from the scripted offline model; said to the user once. */
  offlineNotice?: string;
  /** The worker's MongoDB connection, connecting (and reconnecting) in the background. */
  mongo: MongoConnection;
  catalog: ModelCatalog;
  /** The model endpoints this worker calls (the scripted server offline), for the health probe. */
  modelEndpoints: ModelEndpointTarget[];
  /** How memory is set up, for the start-up block. */
  memory: {
    embedder: EmbedderDescription;
    embeddingsCached: boolean;
    /** What the server supports; undefined until MongoDB has answered. */
    capabilities(): MemoryCapabilities | undefined;
  };
  close(): Promise<void>;
}

/** Options of {@link buildDependencies}. */
export interface BuildDependenciesOptions {
  /** Where the worker says what it waits for and what it found. @default lines on stderr */
  log?: (line: string) => void;
  /**
   * Starts the model to use when no key or base URL is set. Without it, such a config is
   * refused with a {@link ConfigError}. @default none
   */
  startOfflineModel?: () => Promise<OfflineModel>;
}

/**
 * The memory layer of a worker: embedder, namespace cache, session window cache and, once
 * MongoDB answers, its indexes and capabilities. If MongoDB is down at start the worker still starts (memory is
 * degradable): recall goes on without memory, writes are retried until it is back.
 */
function buildMemory(config: ChassisConfig, mongo: MongoConnection, models: ModelGateway, fields: FieldEncryption) {
  const db = mongo.db;
  const embedder = createEmbedder(config, config.memory);
  const cache = new KnowledgeIndexCache(db, { fields });
  // Episodes are cached as stored (sealed): each recall opens what it ranks, as before.
  const episodeWindows = new EpisodeWindowCache(db);
  let capabilities: MemoryCapabilities | undefined;
  mongo.whenConnected({
    name: 'preparing the memory indexes',
    async run(connectedDb: Db) {
      try {
        capabilities = await ensureMemoryIndexes(connectedDb, {
          vectorSearch: config.memory.vectorSearch,
          embedder: embedder.description,
        });
      } catch (error) {
        // CHASSIS_VECTOR_SEARCH=atlas on a server without Atlas Search: no retry can fix it.
        if (config.memory.vectorSearch === 'atlas' && !isMongoUnavailable(error)) {
          throw new FatalSetupError((error as Error).message);
        }
        throw error;
      }
      return `memory: ${capabilities.notes.join('; ')}`;
    },
  });
  const activities: MemoryActivityDependencies = {
    db,
    embedder,
    models,
    vectorSearch: config.memory.vectorSearch,
    cache,
    episodeWindows,
    fields,
    get capabilities() {
      return capabilities;
    },
  };
  return {
    activities,
    tools: memoryToolDependencies(db, embedder, config.memory, cache),
    status: {
      embedder: embedder.description,
      embeddingsCached: embedder instanceof CachingEmbedder,
      capabilities: () => capabilities,
    },
  };
}

/**
 * Builds what activities need from the config, once per process: the model catalog and
 * gateway, the tool registry (with MCP servers) and the MongoDB connection, which keeps
 * connecting in the background (see {@link MongoConnection}). With neither
 * `OPENAI_API_KEY` nor `OPENAI_BASE_URL`, every call goes to the model
 * `options.startOfflineModel` starts (the CLI's scripted offline model).
 */
export async function buildDependencies(
  config: ChassisConfig,
  options: BuildDependenciesOptions = {},
): Promise<BuiltDependencies> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startOfflineModel = options.startOfflineModel;
  if (usesScriptedModel(config) && startOfflineModel === undefined) {
    throw new ConfigError(
      'no OPENAI_API_KEY or OPENAI_BASE_URL set: set one to reach a model, or start the worker with "chassis worker", which answers offline with the scripted demo model',
    );
  }
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const catalog = await loadModelCatalog(config.models.catalogPath);
    if (config.models.pinned !== undefined) catalog.require(config.models.pinned);
    const mongo = new MongoConnection({ uri: config.mongo.uri, database: config.mongo.database, log });
    closers.push(() => mongo.close());
    const db = mongo.db;
    mongo.whenConnected({
      name: 'preparing the tool cache and ledger indexes',
      async run(connectedDb: Db) {
        // The runner creates them lazily too; here they are ready before the first call.
        await Promise.all([
          new ToolResultCache(connectedDb).ensureIndexes(),
          new ToolEffectLedger(connectedDb).ensureIndexes(),
        ]);
        return undefined;
      },
    });
    const warn = (message: string) => log(`warning: ${message}`);
    // What users and models wrote is encrypted at rest with the payload keys, like the payloads.
    const keyring = PayloadKeyring.of(config.codec.payloadKeys);
    const fields = new FieldEncryption(keyring);
    const tools = await buildToolRegistry(config.tools, { db, warn, fields });
    closers.push(() => tools.close());
    let models: ModelGateway;
    let offlineNotice: string | undefined;
    let modelEndpoints: ModelEndpointTarget[];
    if (startOfflineModel !== undefined && usesScriptedModel(config)) {
      const offline = await startOfflineModel();
      closers.push(() => offline.close());
      models = new ModelGateway({
        catalog,
        timeoutMs: config.openai.timeoutMs,
        singleEndpoint: { baseUrl: offline.baseUrl },
        context: config.memory.context,
      });
      offlineNotice = offline.notice;
      modelEndpoints = [{ name: 'scripted', baseUrl: offline.baseUrl, description: 'scripted offline model' }];
    } else {
      models = new ModelGateway({ catalog, timeoutMs: config.openai.timeoutMs, context: config.memory.context });
      modelEndpoints = modelEndpointTargets(catalog, { pinned: config.models.pinned });
    }
    const memory = buildMemory(config, mongo, models, fields);
    for (const tool of memoryTools(memory.tools)) tools.registry.register(tool);
    const dataConverter = createDataConverter({
      db,
      claimCheckThresholdBytes: config.codec.claimCheckThresholdBytes,
      keyring,
    });
    mongo.start();
    // Steps, tokens and tool results of running tasks, for `chassis run` and `taskEvents()`.
    const events = new TaskEventLog(db, { retentionMs: config.events.retentionMs, fields });
    // Runs before the MongoDB client closes (closers run in reverse).
    closers.push(() => events.settled());
    return {
      dependencies: {
        models,
        tools: tools.registry,
        db,
        fields,
        memory: memory.activities,
        outageBudgetMs: config.resilience.outageBudgetMs,
        // Ledger outcomes expire (TTL index, where the server has one) with the rest; the sweep honours running workflows.
        toolLedger: { retentionMs: config.retention.retentionMs },
        retentionMs: config.retention.retentionMs,
        events,
      },
      dataConverter,
      offlineNotice,
      mongo,
      catalog,
      modelEndpoints,
      memory: memory.status,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
