import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { MongoClient, type Db } from 'mongodb';
import { createDataConverter } from '../codec/data-converter';
import type { ActivityDependencies } from '../activities';
import { usesScriptedModel, type ChassisConfig } from '../config/load-config';
import { loadModelCatalog } from '../models/load-model-catalog';
import { ModelGateway } from '../models/model-gateway';
import { loadScriptFile, startScriptedModelServer } from '../testing/scripted-model';
import { buildToolRegistry } from '../tools/build-tool-registry';
import { ensureMemoryIndexes, type MemoryCapabilities } from '../memory/database';
import { createEmbedder } from '../memory/embedders/create-embedder';
import { KnowledgeIndexCache } from '../memory/knowledge-index-cache';
import { KnowledgeStore } from '../memory/knowledge-store';
import { memoryTools } from '../memory/memory-tools';
import { TaskEventLog } from '../events/task-event-log';

/** The demo script the offline worker answers with. */
export const DEMO_SCRIPT_PATH = path.join(__dirname, '..', 'testing', 'scripts', 'demo.json');

/** The goal the demo runs; the demo script answers it. */
export const DEMO_GOAL = 'What is 17.5% of 2,340, and what time is it in UTC?';

/** Activity dependencies plus what must be closed when the process ends. */
export interface BuiltDependencies {
  dependencies: ActivityDependencies;
  /** The payload codec chain workers and clients share. */
  dataConverter: DataConverter;
  /** Set when answers come from the scripted offline model; said to the user once. */
  offlineNotice?: string;
  close(): Promise<void>;
}

/**
 * The memory layer of a worker: embedder, namespace cache and indexes. Indexes are created
 * here, once, in one place; if MongoDB is down at start the worker still starts (memory
 * is degradable) and says so.
 */
async function buildMemory(config: ChassisConfig, db: Db, models: ModelGateway, warn: (message: string) => void) {
  const embedder = createEmbedder(config, config.memory);
  const cache = new KnowledgeIndexCache(db);
  let capabilities: MemoryCapabilities | undefined;
  try {
    capabilities = await ensureMemoryIndexes(db, {
      vectorSearch: config.memory.vectorSearch,
      embedder: embedder.description,
    });
    for (const note of capabilities.notes) warn(`memory: ${note}`);
  } catch (error) {
    if (config.memory.vectorSearch === 'atlas') throw error;
    warn(
      `memory: could not prepare MongoDB indexes (${(error as Error).message}); tasks run without memory until it is back`,
    );
  }
  const search = { db, embedder, cache, vectorSearch: config.memory.vectorSearch };
  return {
    activities: { db, embedder, models, vectorSearch: config.memory.vectorSearch, capabilities, cache },
    tools: { store: new KnowledgeStore(db, embedder, { cache }), search, namespace: config.memory.namespace },
  };
}

/**
 * Builds what activities need from the config, once per process: the model catalog and
 * gateway, the tool registry (with MCP servers) and the MongoDB database. With neither
 * `OPENAI_API_KEY` nor `OPENAI_BASE_URL`, the scripted model server (a test double, not a
 * model) is started with the demo script so the stack works offline; with either set,
 * nothing is scripted.
 */
export async function buildDependencies(config: ChassisConfig): Promise<BuiltDependencies> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const catalog = await loadModelCatalog(config.models.catalogPath);
    if (config.models.pinned !== undefined) catalog.require(config.models.pinned);
    // A short server selection keeps a down database from stalling calls: memory and
    // caches degrade, they do not block (DESIGN decision 5).
    const mongo = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 3_000 });
    closers.push(() => mongo.close());
    const db = mongo.db(config.mongo.database);
    const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
    const tools = await buildToolRegistry(config.tools, { db, warn });
    closers.push(() => tools.close());
    let models: ModelGateway;
    let offlineNotice: string | undefined;
    if (usesScriptedModel(config)) {
      const server = await startScriptedModelServer({ script: await loadScriptFile(DEMO_SCRIPT_PATH), port: 0 });
      closers.push(() => server.close());
      models = new ModelGateway({
        catalog,
        timeoutMs: config.openai.timeoutMs,
        singleEndpoint: { baseUrl: server.baseURL },
      });
      offlineNotice = `no OPENAI_API_KEY or OPENAI_BASE_URL set: answers come from the scripted offline model at ${server.baseURL} (a test double that only knows the demo goal), not a real model`;
    } else {
      models = new ModelGateway({ catalog, timeoutMs: config.openai.timeoutMs });
    }
    const memory = await buildMemory(config, db, models, warn);
    for (const tool of memoryTools(memory.tools)) tools.registry.register(tool);
    const dataConverter = createDataConverter({
      db,
      claimCheckThresholdBytes: config.codec.claimCheckThresholdBytes,
      keyring: config.codec.keyring,
    });
    return {
      dependencies: {
        models,
        tools: tools.registry,
        db,
        memory: memory.activities,
        // Steps, tokens and tool results of running tasks, for `chassis run` and `taskEvents()`.
        events: new TaskEventLog(db, { retentionMs: config.events.retentionMs }),
      },
      dataConverter,
      offlineNotice,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
