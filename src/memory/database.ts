import { MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import type { EmbedderDescription } from '../contracts/memory';
import { ensureVectorSearchIndex } from './atlas-vector-search';
import type {
  NamespaceDocument,
  SessionHeadDocument,
  StoredEpisodeDocument,
  StoredKnowledgeDocument,
} from './documents';
import type { VectorSearchSetting } from '../config/memory-settings';
import type { VectorEncoding } from './vectors';
import { detectVectorEncoding } from './vector-encoding-probe';

/** Names of the memory collections; nothing else in the code spells them. */
export const MemoryCollection = {
  episodes: 'memory_episodes',
  knowledge: 'memory_knowledge',
  namespaces: 'memory_namespaces',
  /** One head document per session: its episodes' revision and change log. */
  sessions: 'memory_sessions',
  /** Holds the probe document of the vector encoding check. */
  capabilities: 'memory_capabilities',
} as const;

/** Typed handles on the memory collections of a database. */
export function memoryCollections(db: Db) {
  return {
    episodes: db.collection<StoredEpisodeDocument>(MemoryCollection.episodes),
    knowledge: db.collection<StoredKnowledgeDocument>(MemoryCollection.knowledge),
    namespaces: db.collection<NamespaceDocument>(MemoryCollection.namespaces),
    sessions: db.collection<SessionHeadDocument>(MemoryCollection.sessions),
  };
}

/** The regular indexes, by collection. Compound and plain only: FerretDB v1 has no TTL, partial or text indexes. */
const INDEXES = {
  [MemoryCollection.episodes]: [
    { key: { sessionId: 1, occurredAt: -1 }, name: 'session_recent' },
    { key: { workflowId: 1 }, name: 'workflow' },
  ],
  [MemoryCollection.knowledge]: [
    { key: { namespace: 1, documentId: 1, chunkIndex: 1 }, name: 'namespace_document' },
    { key: { namespace: 1, contentHash: 1 }, name: 'namespace_hash' },
    { key: { namespace: 1, kind: 1, createdAt: -1 }, name: 'namespace_kind_recent' },
  ],
} as const;

/** A collection's indexes; none when the collection does not exist yet (error 26, NamespaceNotFound). */
async function existingIndexes(collection: Collection): Promise<Document[]> {
  try {
    return await collection.listIndexes().toArray();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 26) return [];
    throw error;
  }
}

/** What the server can do for memory, found by trying. */
export interface MemoryCapabilities {
  vectorEncoding: VectorEncoding;
  /** Whether the Atlas vector search index exists (it may still be building). */
  atlasVectorSearch: boolean;
  /** One line each about what was decided and why, for the worker's start-up log. */
  notes: string[];
}

/** Options of {@link ensureMemoryIndexes}. */
export interface EnsureMemoryIndexesOptions {
  /** @default 'auto' */
  vectorSearch?: VectorSearchSetting;
  /** The worker's embedder: the Atlas vector index is built for its dimension. */
  embedder?: EmbedderDescription;
}

/**
 * Creates every memory index, idempotently (creating an existing index is a no-op), and
 * detects what the server supports. Call once at worker start; safe to call from several
 * workers at once.
 *
 * @throws when `vectorSearch` is `atlas` and the server has no Atlas Search, so a
 *   misconfigured deployment fails at start-up instead of at the first search.
 */
export async function ensureMemoryIndexes(
  db: Db,
  options: EnsureMemoryIndexesOptions = {},
): Promise<MemoryCapabilities> {
  for (const [name, indexes] of Object.entries(INDEXES)) {
    const collection = db.collection(name);
    // Only missing indexes, one at a time: FerretDB v1.24 drops the connection when one
    // createIndexes call lists several indexes of which some already exist.
    const existing = new Set((await existingIndexes(collection)).map((index) => index.name as string));
    for (const index of indexes) {
      // Keys, index options, command options (none): the driver deprecates mixing the two kinds.
      if (!existing.has(index.name)) await collection.createIndex({ ...index.key }, { name: index.name }, {});
    }
  }
  const notes: string[] = [];
  const vectorEncoding = await detectVectorEncoding(db);
  notes.push(
    vectorEncoding === 'float32-binary'
      ? 'vectors are stored as BSON float32 binary (subtype 9)'
      : 'the server rejected BSON float32 vectors: vectors are stored as arrays of doubles',
  );
  const setting = options.vectorSearch ?? 'auto';
  let atlasVectorSearch = false;
  if (setting !== 'exact') {
    const outcome = await ensureVectorSearchIndex(db, options.embedder);
    atlasVectorSearch = outcome.available;
    notes.push(outcome.note);
    if (setting === 'atlas' && !outcome.available) {
      throw new Error(
        `CHASSIS_VECTOR_SEARCH=atlas but ${outcome.note}: use a MongoDB Atlas (or Atlas Local) deployment, or set CHASSIS_VECTOR_SEARCH=auto`,
      );
    }
  } else {
    notes.push('CHASSIS_VECTOR_SEARCH=exact: vector search runs in the worker');
  }
  return { vectorEncoding, atlasVectorSearch, notes };
}
