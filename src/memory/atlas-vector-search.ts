import { MongoServerError, type Db, type Document } from 'mongodb';
import type { EmbedderDescription, KnowledgeKind } from '../contracts/memory';
import type { StoredKnowledgeDocument } from './documents';

/**
 * The MongoDB Atlas `$vectorSearch` path: the search index over `memory_knowledge.embedding`
 * and the query. Servers without Atlas Search (FerretDB, MongoDB Community without mongot)
 * answer the probe with a server error; then the worker computes exact cosine similarity.
 */

/** Name of the Atlas vector search index on the knowledge collection. */
export const VECTOR_INDEX_NAME = 'memory_knowledge_vector';

/** Spelled here rather than imported from `database.ts`, which imports this module. */
const KNOWLEDGE_COLLECTION = 'memory_knowledge';

/**
 * The index definition: cosine similarity over the stored vectors, with the fields
 * searches filter on declared as filter fields (Atlas only filters on declared fields).
 */
export function vectorIndexDefinition(dimensions: number): Document {
  return {
    fields: [
      { type: 'vector', path: 'embedding', numDimensions: dimensions, similarity: 'cosine' },
      { type: 'filter', path: 'namespace' },
      { type: 'filter', path: 'kind' },
      { type: 'filter', path: 'tags' },
    ],
  };
}

interface SearchIndexInfo {
  name?: string;
  queryable?: boolean;
  status?: string;
  latestDefinition?: { fields?: Array<{ type?: string; numDimensions?: number }> };
}

/** The index's vector size, or undefined when it declares none. */
function indexDimensions(index: SearchIndexInfo): number | undefined {
  return index.latestDefinition?.fields?.find((field) => field.type === 'vector')?.numDimensions;
}

/** Lists the search indexes; undefined when the server has no Atlas Search at all. */
async function listVectorIndexes(db: Db): Promise<SearchIndexInfo[] | undefined> {
  try {
    return (await db
      .collection(KNOWLEDGE_COLLECTION)
      .listSearchIndexes(VECTOR_INDEX_NAME)
      .toArray()) as SearchIndexInfo[];
  } catch (error) {
    // "Unrecognized pipeline stage" (FerretDB), "only allowed on Atlas" (Community): no Atlas Search.
    if (error instanceof MongoServerError) return undefined;
    throw error;
  }
}

/**
 * Creates the vector search index when the server has Atlas Search and the index is
 * missing. The index is built asynchronously by Atlas; searches use the exact path until
 * it is queryable.
 */
export async function ensureVectorSearchIndex(
  db: Db,
  embedder: EmbedderDescription | undefined,
): Promise<{ available: boolean; note: string }> {
  const indexes = await listVectorIndexes(db);
  if (indexes === undefined) return { available: false, note: 'the server has no Atlas Search ($vectorSearch)' };
  const existing = indexes.find((index) => index.name === VECTOR_INDEX_NAME);
  if (existing !== undefined) {
    const dimensions = indexDimensions(existing);
    const mismatch =
      embedder !== undefined && dimensions !== undefined && dimensions !== embedder.dimensions
        ? `; it has ${dimensions} dimensions but the embedder makes ${embedder.dimensions}, so searches use the exact path (drop the index to rebuild it)`
        : '';
    return {
      available: true,
      note: `Atlas vector search index "${VECTOR_INDEX_NAME}" exists (${existing.status ?? 'status unknown'})${mismatch}`,
    };
  }
  if (embedder === undefined) {
    return { available: true, note: 'Atlas Search is available but no embedder was given to size the vector index' };
  }
  await db.collection(KNOWLEDGE_COLLECTION).createSearchIndex({
    name: VECTOR_INDEX_NAME,
    type: 'vectorSearch',
    definition: vectorIndexDefinition(embedder.dimensions),
  });
  return {
    available: true,
    note: `created Atlas vector search index "${VECTOR_INDEX_NAME}" (${embedder.dimensions} dimensions); searches use the exact path until it is queryable`,
  };
}

/** A `$vectorSearch` result: the document as stored (sealed fields sealed) without its vector, and its cosine similarity. */
export interface AtlasVectorHit {
  document: Omit<StoredKnowledgeDocument, 'embedding'>;
  cosine: number;
}

/** What one `$vectorSearch` query asks for. */
export interface AtlasVectorQuery {
  namespace: string;
  vector: Float32Array;
  limit: number;
  /** Candidates the approximate search examines; more is slower and more accurate. */
  numCandidates: number;
  kinds?: readonly KnowledgeKind[];
  tags?: readonly string[];
}

/**
 * Runs `$vectorSearch` queries once the index is queryable for the embedder's dimension.
 * Readiness is re-checked every `recheckMs`, so a worker started while Atlas builds the
 * index switches over by itself.
 */
export class AtlasVectorSearch {
  private checkedAt = Number.NEGATIVE_INFINITY;
  private ready = false;

  constructor(
    private readonly db: Db,
    private readonly options: { recheckMs?: number; now?: () => number } = {},
  ) {}

  /** True when the index exists, is queryable and was built for `dimensions`. */
  async isReady(dimensions: number): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.checkedAt < (this.options.recheckMs ?? 30_000)) return this.ready;
    const indexes = await listVectorIndexes(this.db);
    const index = indexes?.find((candidate) => candidate.name === VECTOR_INDEX_NAME);
    this.ready = index !== undefined && index.queryable === true && indexDimensions(index) === dimensions;
    this.checkedAt = now;
    return this.ready;
  }

  async search(query: AtlasVectorQuery): Promise<AtlasVectorHit[]> {
    const conditions: Document[] = [{ namespace: { $eq: query.namespace } }];
    if (query.kinds !== undefined && query.kinds.length > 0) conditions.push({ kind: { $in: [...query.kinds] } });
    for (const tag of query.tags ?? []) conditions.push({ tags: { $eq: tag } });
    const pipeline: Document[] = [
      {
        $vectorSearch: {
          index: VECTOR_INDEX_NAME,
          path: 'embedding',
          queryVector: Array.from(query.vector),
          numCandidates: query.numCandidates,
          limit: query.limit,
          filter: conditions.length === 1 ? conditions[0] : { $and: conditions },
        },
      },
      { $project: { embedding: 0, vectorScore: { $meta: 'vectorSearchScore' } } },
    ];
    const documents = await this.db.collection(KNOWLEDGE_COLLECTION).aggregate(pipeline).toArray();
    return documents.map((found) => {
      const { vectorScore, ...document } = found as Omit<StoredKnowledgeDocument, 'embedding'> & {
        vectorScore: number;
      };
      // Atlas reports cosine similarity as (1 + cosine) / 2; convert back so both paths report cosine.
      return { document, cosine: 2 * vectorScore - 1 };
    });
  }
}
