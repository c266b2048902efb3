import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { FieldEncryption } from '../codec/field-encryption';
import type {
  ExtractFactsInput,
  ExtractFactsResult,
  IngestDocumentInput,
  IngestDocumentResult,
  RecallInput,
  RecallResult,
  RememberEpisodeInput,
  RememberEpisodeResult,
  SaveFactInput,
  SaveFactResult,
  SearchKnowledgeInput,
  SearchKnowledgeResult,
  SummarizeInput,
  SummarizeResult,
} from '../contracts/memory';
import { AtlasVectorSearch } from '../memory/atlas-vector-search';
import type { MemoryCapabilities } from '../memory/database';
import type { Embedder } from '../memory/embedders/embedder';
import type { EpisodeWindowCache } from '../memory/episode-window-cache';
import { EpisodesStore } from '../memory/episodes-store';
import { extractFacts } from '../memory/fact-extraction';
import { searchKnowledge } from '../memory/hybrid-search';
import { KnowledgeIndexCache } from '../memory/knowledge-index-cache';
import { KnowledgeStore } from '../memory/knowledge-store';
import { translateMemoryError } from '../memory/memory-errors';
import type { VectorSearchSetting } from '../config/memory-settings';
import type { ChatCompleter } from '../memory/model-port';
import { summarize } from '../memory/summarization';

/** What the memory activities need, built once by the worker. */
export interface MemoryActivityDependencies {
  db: Db;
  embedder: Embedder;
  /** Summaries and fact extraction call the small model through it (`ModelGateway`). */
  models: ChatCompleter;
  /** @default 'auto' */
  vectorSearch?: VectorSearchSetting;
  /**
   * What `ensureMemoryIndexes` found once MongoDB answered; without Atlas Search the Atlas
   * path is never tried. Read at each call, so it may be a getter filled in later.
   */
  capabilities?: MemoryCapabilities;
  /** Share the worker's namespace cache (e.g. with the memory tools). @default a new cache */
  cache?: KnowledgeIndexCache;
  /** The worker's cached session windows, which recall reads through. @default none: every recall queries MongoDB */
  episodeWindows?: EpisodeWindowCache;
  /** @default () => new Date() */
  now?: () => Date;
  /** Encrypts episodes and knowledge at rest with the payload keys. @default the cache's, else plain */
  fields?: FieldEncryption;
}

/** Runs one activity body, translating errors once (see `translateMemoryError`). */
async function translated<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateMemoryError(error, operation);
  }
}

/**
 * Memory activities: thin adapters over the memory stores. MongoDB outages surface as
 * retryable `Memory.Unavailable` failures: give writes (`rememberEpisode`, `saveFact`,
 * `ingestDocument`, `extractFacts`) a retry policy without a low attempt cap so they land
 * once MongoDB is back (their ids make retries idempotent), and give reads (`recall`,
 * `searchKnowledge`) a small cap so the workflow can go on without memory.
 */
export function createMemoryActivities(dependencies: MemoryActivityDependencies) {
  const { db, embedder, models } = dependencies;
  const fields = dependencies.fields ?? dependencies.cache?.fields;
  const cache = dependencies.cache ?? new KnowledgeIndexCache(db, { fields });
  const knowledge = new KnowledgeStore(db, embedder, { cache, now: dependencies.now, fields });
  const episodes = new EpisodesStore(db, {
    embedder,
    now: dependencies.now,
    fields,
    windows: dependencies.episodeWindows,
  });
  const vectorSearch = dependencies.vectorSearch ?? 'auto';
  const atlasSearch = new AtlasVectorSearch(db);
  // Read at each call: a worker started while MongoDB was down learns the capabilities later.
  const atlas = () =>
    vectorSearch === 'exact' || dependencies.capabilities?.atlasVectorSearch === false ? undefined : atlasSearch;
  const search = (input: SearchKnowledgeInput, signal: AbortSignal) =>
    searchKnowledge({ db, embedder, cache, vectorSearch, atlas: atlas() }, input, { signal });

  return {
    /** Recent and goal-relevant episodes of a session, and optionally what semantic memory knows about the goal. */
    async recall(input: RecallInput): Promise<RecallResult> {
      const signal = Context.current().cancellationSignal;
      return translated('recall', async () => {
        const goal = input.goal?.trim() ?? '';
        // The session's episodes and the knowledge search are independent reads: side by side.
        const [{ recent, relevant }, found] = await Promise.all([
          episodes.recall(input.sessionId, goal, {
            recentLimit: input.recentLimit,
            relevantLimit: input.relevantLimit,
            kinds: input.kinds,
            signal,
          }),
          input.knowledge === undefined || goal === ''
            ? undefined
            : search(
                {
                  namespace: input.knowledge.namespace,
                  query: goal,
                  k: input.knowledge.k ?? 5,
                  kinds: input.knowledge.kinds,
                },
                signal,
              ),
        ]);
        return { recent, relevant, knowledge: found?.hits ?? [] };
      });
    },

    /** Records one episode, once per id. */
    async rememberEpisode(input: RememberEpisodeInput): Promise<RememberEpisodeResult> {
      const signal = Context.current().cancellationSignal;
      return translated('rememberEpisode', () => episodes.record(input.episode, { signal }));
    },

    /** Hybrid (or vector, or lexical) search of a namespace of semantic memory. */
    async searchKnowledge(input: SearchKnowledgeInput): Promise<SearchKnowledgeResult> {
      const signal = Context.current().cancellationSignal;
      return translated('searchKnowledge', () => search(input, signal));
    },

    /** Chunks, de-duplicates and stores a document. */
    async ingestDocument(input: IngestDocumentInput): Promise<IngestDocumentResult> {
      const signal = Context.current().cancellationSignal;
      return translated('ingestDocument', () => knowledge.ingestDocument(input, { signal }));
    },

    /** Folds turns into the running summary, or compresses the summary (small model). */
    async summarize(input: SummarizeInput): Promise<SummarizeResult> {
      const signal = Context.current().cancellationSignal;
      return translated('summarize', () => summarize(models, input, { signal }));
    },

    /** Extracts durable facts from a conversation into semantic memory, de-duplicated. */
    async extractFacts(input: ExtractFactsInput): Promise<ExtractFactsResult> {
      const signal = Context.current().cancellationSignal;
      return translated('extractFacts', () => extractFacts(models, knowledge, input, { signal }));
    },

    /** Saves one fact (the agent's `memory_save` tool), unless it is already known. */
    async saveFact(input: SaveFactInput): Promise<SaveFactResult> {
      const signal = Context.current().cancellationSignal;
      return translated('saveFact', () => knowledge.saveFact(input, { signal }));
    },
  };
}

/** The memory activity interface workflows proxy (as a type only). */
export type MemoryActivities = ReturnType<typeof createMemoryActivities>;
