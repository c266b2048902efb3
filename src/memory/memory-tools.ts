import type { Db } from 'mongodb';
import { z } from 'zod';
import { defineTool, type Tool } from '../tools/tool';
import { PermanentToolError } from '../tools/tool-errors';
import { searchKnowledge, type KnowledgeSearchDependencies } from './hybrid-search';
import type { Embedder } from './embedders/embedder';
import { KnowledgeIndexCache } from './knowledge-index-cache';
import { KnowledgeStore } from './knowledge-store';
import type { MemorySettings } from '../config/memory-settings';
import { isEmbedderMismatchError, isMemoryInputError } from './memory-errors';

/** What the memory tools need: the worker's store and search dependencies, and the namespace they use. */
export interface MemoryToolDependencies {
  store: KnowledgeStore;
  search: KnowledgeSearchDependencies;
  /** Namespace the agent reads and writes (CHASSIS_MEMORY_NAMESPACE). */
  namespace: string;
}

/**
 * Tool errors the model can act on become observations; a MongoDB outage is passed through
 * as it is, so the tool runner waits for the server instead of telling the model.
 */
function toolError(error: unknown): Error {
  if (isEmbedderMismatchError(error) || isMemoryInputError(error)) return new PermanentToolError(error.message);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The agent's memory tools, typed: `memory_search` (hybrid search of semantic memory) and
 * `memory_save` (store one durable fact, de-duplicated). {@link memoryTools} gives them in
 * the form the tool registry takes.
 */
export function createMemoryTools(dependencies: MemoryToolDependencies) {
  const memorySearch = defineTool({
    name: 'memory_search',
    description:
      'Searches long-term memory (facts saved in earlier sessions and ingested documents) for passages relevant to a query. ' +
      'Use it before answering questions about the user, earlier decisions or project knowledge. Returns up to k results, most relevant first, ' +
      'each with its text, source and a relevance score that only compares results of the same search.',
    input: z.object({
      query: z.string().min(1).max(1000).describe('What to look for, in a few words or a question'),
      k: z.number().int().min(1).max(20).optional().describe('How many results (default 5)'),
    }),
    example: { query: "the user's preferred airline", k: 5 },
    // Not cached across tasks: memory changes as the agent saves facts.
    policy: { timeoutMs: 20_000, maximumAttempts: 3, idempotent: true, maxOutputChars: 8_000 },
    async execute({ query, k }, context) {
      try {
        const result = await searchKnowledge(
          dependencies.search,
          { namespace: dependencies.namespace, query, k: k ?? 5 },
          { signal: context.signal },
        );
        return JSON.stringify({
          results: result.hits.map((hit) => ({
            text: hit.chunk.text,
            source: hit.chunk.source,
            kind: hit.chunk.kind,
            createdAt: hit.chunk.createdAt,
            score: Math.round(hit.score * 10_000) / 10_000,
          })),
        });
      } catch (error) {
        throw toolError(error);
      }
    },
  });

  const memorySave = defineTool({
    name: 'memory_save',
    description:
      'Saves one durable fact to long-term memory so later sessions can find it: a preference the user stated, a decision, a result. ' +
      'Write one self-contained sentence that names its subject ("The user prefers aisle seats."). ' +
      'A fact already known (the same or nearly the same) is not saved twice; the answer says which.',
    input: z.object({
      fact: z.string().min(3).max(500).describe('One self-contained sentence'),
      tags: z.array(z.string().min(1).max(40)).max(5).optional().describe('Optional labels, e.g. ["travel"]'),
    }),
    example: { fact: 'The user prefers aisle seats on flights.', tags: ['travel'] },
    // Saving the same fact twice stores it once (content-addressed id), so retries are safe.
    policy: { timeoutMs: 20_000, maximumAttempts: 5, idempotent: true, maxOutputChars: 1_000 },
    async execute({ fact, tags }, context) {
      try {
        const saved = await dependencies.store.saveFact(
          { namespace: dependencies.namespace, text: fact, source: `tool:${context.idempotencyKey}`, tags },
          { signal: context.signal },
        );
        return JSON.stringify(
          saved.stored
            ? { saved: true, id: saved.id }
            : { saved: false, reason: 'already known', duplicateOf: saved.duplicateOf, similarity: saved.similarity },
        );
      } catch (error) {
        throw toolError(error);
      }
    },
  });

  return { memorySearch, memorySave };
}

/** The memory tools as the registry takes them: `new ToolRegistry([...builtInTools(), ...memoryTools(dependencies)])`. */
export function memoryTools(dependencies: MemoryToolDependencies): Tool[] {
  const { memorySearch, memorySave } = createMemoryTools(dependencies);
  return [memorySearch as Tool, memorySave as Tool];
}

/**
 * What the memory tools of a worker with these settings need. A database handle is enough:
 * nothing connects until a tool runs, so `chassis tools list` builds the same tools a worker
 * registers. Pass the worker's namespace cache to share it with the memory activities.
 */
export function memoryToolDependencies(
  db: Db,
  embedder: Embedder,
  settings: Pick<MemorySettings, 'namespace' | 'vectorSearch'>,
  cache: KnowledgeIndexCache = new KnowledgeIndexCache(db),
): MemoryToolDependencies {
  return {
    store: new KnowledgeStore(db, embedder, { cache }),
    search: { db, embedder, cache, vectorSearch: settings.vectorSearch },
    namespace: settings.namespace,
  };
}
