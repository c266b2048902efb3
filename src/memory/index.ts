/**
 * The memory layer: episodic and semantic memory in MongoDB, embedders, chunking,
 * de-duplication, hybrid search, summarization and fact extraction. Activities in
 * `src/activities/memory-activities.ts` adapt it for workflows; programs and the CLI use
 * {@link MemoryService}.
 */
export { MemoryCollection, ensureMemoryIndexes, memoryCollections } from './database';
export type { EnsureMemoryIndexesOptions, MemoryCapabilities } from './database';
export { AtlasVectorSearch, VECTOR_INDEX_NAME, vectorIndexDefinition } from './atlas-vector-search';
export { EpisodesStore } from './episodes-store';
export type { EpisodesStoreOptions } from './episodes-store';
export { KnowledgeStore, chunkId, factId } from './knowledge-store';
export type { ImportOptions, ImportRecord, ImportResult, KnowledgeStoreOptions } from './knowledge-store';
export { KnowledgeIndexCache } from './knowledge-index-cache';
export type { KnowledgeIndexCacheOptions, SyncOutcome } from './knowledge-index-cache';
export { NamespaceIndex, documentIdOfEntry } from './namespace-index';
export type { EntryFilter, IndexableDocument } from './namespace-index';
export { TEMPORAL_BOOST, neighboursInTime, rankCandidates, searchKnowledge } from './hybrid-search';
export type {
  KnowledgeSearchDependencies,
  RankCandidate,
  RankCandidatesOptions,
  SearchKnowledgeOptions,
} from './hybrid-search';
export { embedderSimilarity, signalWeights } from './signal-weights';
export type { SignalWeights } from './signal-weights';
export { contextualText, indexedFields, sessionNeighbours } from './memory-context';
export type { ContextNeighbour, ContextualMemory } from './memory-context';
export { temporalCues, temporalMatch } from './temporal-cues';
export type { TemporalCue } from './temporal-cues';
export { isStopword, stemWord, words } from './text-normalization';
export { RRF_CONSTANT, reciprocalRankFusion } from './rank-fusion';
export { chunkText } from './chunking';
export type { ChunkingOptions, TextChunk } from './chunking';
export { contentHash, findNearDuplicate, normalizeForHash } from './dedupe';
export { Bm25Index, DEFAULT_BM25, bm25Scores, lexicalTerms } from './lexical';
export type { Bm25Parameters, IndexedDocument, WeightedText } from './lexical';
export type { Embedder, EmbedOptions } from './embedders/embedder';
export { HashedNgramEmbedder } from './embedders/hashed-ngram-embedder';
export { KNOWN_DIMENSIONS, OpenAIEmbedder } from './embedders/openai-embedder';
export type { OpenAIEmbedderOptions } from './embedders/openai-embedder';
export { createEmbedder } from './embedders/create-embedder';
export { MiniLmEmbedder } from './embedders/minilm-embedder';
export type { MiniLmEmbedderOptions } from './embedders/minilm-embedder';
export { loadMemorySettings } from './memory-settings';
export type { MemorySettings, VectorSearchSetting } from './memory-settings';
export { SUMMARIZER_SYSTEM_PROMPT, summarize } from './summarization';
export { FACT_EXTRACTOR_SYSTEM_PROMPT, extractFacts, parseExtractedFacts } from './fact-extraction';
export { countChatTokens, countTokens, truncateToTokens } from './token-count';
export {
  EmbedderMismatchError,
  MemoryInputError,
  ModelOutputError,
  isMongoUnavailable,
  translateMemoryError,
} from './memory-errors';
export { MemoryService } from './memory-service';
export type { BatchAnswer, BatchQuery, OpenMemoryOptions } from './memory-service';
export { importRecordSchema, parseImportRecords } from './import-records';
export { parseBatchQueries } from './batch-queries';
export type { ChatCompleter } from './model-port';
export { decodeVector, encodeVector } from './vectors';
export type { VectorEncoding } from './vectors';
export { createMemoryTools, memoryTools } from './memory-tools';
export type { MemoryToolDependencies } from './memory-tools';
