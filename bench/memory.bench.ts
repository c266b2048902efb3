import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Db } from 'mongodb';
import type { ChassisConfig } from '../src/config/load-config';
import type { ChatMessage } from '../src/contracts/messages';
import { ensureMemoryIndexes, type MemoryCapabilities } from '../src/memory/database';
import { HashedNgramEmbedder } from '../src/memory/embedders/hashed-ngram-embedder';
import { searchKnowledge } from '../src/memory/hybrid-search';
import { KnowledgeIndexCache } from '../src/memory/knowledge-index-cache';
import { KnowledgeStore, type ImportRecord } from '../src/memory/knowledge-store';
import { summarize } from '../src/memory/summarization';
import { countChatTokens } from '../src/models/token-count';
import { ModelCatalog } from '../src/models/catalog';
import { ModelGateway } from '../src/models/model-gateway';
import type { ModelScriptInput } from '../src/testing/scripted-model';
import { startQuietScriptedModel } from '../src/testing/scripted-stack';
import { UNCALIBRATED, calibrate, type TokenCalibration } from '../src/shared/estimate-tokens';
import { contextBudget, type ContextBudgetOptions } from '../src/workflows/context/context-budget';
import {
  applySummary,
  planWorkingContext,
  type ConversationTurn,
  type RunningSummary,
} from '../src/workflows/context/working-context';
import { benchmarkMongoLocation } from './support/header';
import { liveBytes } from './support/heap';
import { summarizeSamples, type SampleSummary } from './support/results';
import { openBenchDatabase, progress } from './support/runner';
import { printTable } from './support/table';

/**
 * `memory`: the memory layer on the local MongoDB-wire server.
 *
 * 1. Import 10k and 100k synthetic chunks (hashed n-gram embedder, 256 dimensions, BSON
 *    float32 vectors, exact de-duplication on), then time searches on the exact path
 *    (vector only and hybrid = vector + BM25 by reciprocal rank fusion), with the
 *    namespace already in the worker's cache, plus the cold load of the namespace into a
 *    fresh cache (what a newly started worker pays once). Each query is built from one
 *    record's words, so hit@10 (the record is in the top 10) checks the ranking is sane.
 * 2. Tokens sent per turn over a 200-turn scripted session with the working context
 *    (summary + recent turns + memories within a budget) versus sending the full history,
 *    counted with the o200k tokenizer; summarization calls are counted as cost too.
 *
 * The model is the scripted server, a test double of the provider; the corpus is synthetic.
 * Absolute times depend on the machine and on the database (FerretDB here, which scans);
 * compare ratios.
 */

/** A database of its own per run, so runs on the shared server never meet. */
/** Sizes run by default; `-- --sizes 10000,100000,1000000` picks others (1M takes long and about 2 GB of disk on FerretDB). */
const DEFAULT_SIZES = [10_000, 100_000];
const QUERIES = 100;
const DIMENSIONS = 256;
const SESSION_TURNS = 200;

/** mulberry32: a tiny seeded PRNG, so every run benchmarks the same corpus and queries. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'be',
  'da',
  'fi',
  'go',
  'hu',
  'ja',
  'ke',
  'li',
  'mo',
  'nu',
  'pa',
  're',
  'si',
  'to',
  'ul',
  'ven',
  'wor',
  'xan',
  'yel',
  'zor',
];

/** Deterministic pseudo-words: a vocabulary with no meaning, so neither signal is favoured by real-language structure. */
function vocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const length = 2 + Math.floor(random() * 3);
    let word = '';
    for (let index = 0; index < length; index += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

interface Corpus {
  records: ImportRecord[];
  queries: Array<{ id: string; query: string }>;
}

/**
 * `count` records of 45-70 words: two thirds from one of 500 topics (40 words each), one
 * third common words (Zipf-like). Queries take 5 of a record's topic words and 1 common word.
 */
function buildCorpus(count: number, seed: number): Corpus {
  const random = seededRandom(seed);
  const words = vocabulary(24_000, random);
  const common = words.slice(0, 2_000);
  const topics = Array.from({ length: 500 }, (_, topic) => words.slice(2_000 + topic * 40, 2_000 + (topic + 1) * 40));
  const pickCommon = () => common[Math.floor(common.length * random() ** 2)] as string;
  const records: ImportRecord[] = [];
  const topicWordsOf: string[][] = [];
  for (let index = 0; index < count; index += 1) {
    const topic = topics[Math.floor(random() * topics.length)] as string[];
    const length = 45 + Math.floor(random() * 26);
    const chosen: string[] = [];
    const own: string[] = [];
    for (let position = 0; position < length; position += 1) {
      if (random() < 0.66) {
        const word = topic[Math.floor(random() * topic.length)] as string;
        chosen.push(word);
        own.push(word);
      } else {
        chosen.push(pickCommon());
      }
    }
    records.push({ id: `doc-${index}`, text: `${chosen.join(' ')}.` });
    topicWordsOf.push(own);
  }
  const queries = Array.from({ length: QUERIES }, () => {
    const target = Math.floor(random() * count);
    const own = topicWordsOf[target] as string[];
    const terms = Array.from({ length: 5 }, () => own[Math.floor(random() * own.length)] as string);
    return { id: `doc-${target}`, query: [...terms, pickCommon()].join(' ') };
  });
  return { records, queries };
}

interface ImportMeasurement {
  chunks: number;
  importSeconds: number;
  chunksPerSecond: number;
  stored: number;
  coldLoadSeconds: number;
  /** Live heap and array-buffer bytes the loaded namespace index holds, per chunk. */
  workerBytesPerChunk: number;
  searches: Record<'vector' | 'hybrid' | 'lexical', SampleSummary & { hitAt10: number }>;
}

const MODES = ['vector', 'hybrid', 'lexical'] as const;

/**
 * Times every query in every mode, the modes interleaved query by query (rotating which
 * goes first) so drift and JIT warm-up hit all modes alike.
 */
async function measureSearches(
  db: Db,
  cache: KnowledgeIndexCache,
  embedder: HashedNgramEmbedder,
  namespace: string,
  queries: Corpus['queries'],
): Promise<Record<(typeof MODES)[number], SampleSummary & { hitAt10: number }>> {
  const dependencies = { db, embedder, cache, vectorSearch: 'exact' as const };
  // Warm-up: JIT and the per-namespace freshness check.
  for (const query of queries.slice(0, 5)) {
    for (const mode of MODES) await searchKnowledge(dependencies, { namespace, query: query.query, k: 10, mode });
  }
  const samples = { vector: [] as number[], hybrid: [] as number[], lexical: [] as number[] };
  const hits = { vector: 0, hybrid: 0, lexical: 0 };
  for (const [index, query] of queries.entries()) {
    const order = [...MODES.slice(index % MODES.length), ...MODES.slice(0, index % MODES.length)];
    for (const mode of order) {
      const started = performance.now();
      const result = await searchKnowledge(dependencies, {
        namespace,
        query: query.query,
        k: 10,
        mode,
        groupBy: 'document',
      });
      samples[mode].push(performance.now() - started);
      if (result.hits.some((hit) => hit.chunk.documentId === query.id)) hits[mode] += 1;
    }
  }
  const summary = (mode: (typeof MODES)[number]) => ({
    ...summarizeSamples(samples[mode]),
    samplesMs: [],
    hitAt10: hits[mode] / queries.length,
  });
  return { vector: summary('vector'), hybrid: summary('hybrid'), lexical: summary('lexical') };
}

async function measureImport(db: Db, size: number, embedder: HashedNgramEmbedder): Promise<ImportMeasurement> {
  const namespace = `bench-${size}`;
  const corpus = buildCorpus(size, size);
  const cache = new KnowledgeIndexCache(db);
  const store = new KnowledgeStore(db, embedder, { cache });
  progress(`importing ${size} chunks into ${namespace}…`);
  let lastReport = performance.now();
  const started = performance.now();
  const result = await store.importRecords(namespace, corpus.records, {
    batchSize: 1000,
    onProgress: (done, total) => {
      if (performance.now() - lastReport > 10_000) {
        progress(`  ${done}/${total}`);
        lastReport = performance.now();
      }
    },
  });
  const importSeconds = (performance.now() - started) / 1000;
  progress(`  ${result.stored} stored in ${importSeconds.toFixed(1)} s; loading into a fresh cache (a new worker)…`);
  const fresh = new KnowledgeIndexCache(db);
  // The corpus and the writer's cache are still referenced: measure the fresh cache alone.
  const before = liveBytes();
  const loadStarted = performance.now();
  await fresh.get(namespace);
  const coldLoadSeconds = (performance.now() - loadStarted) / 1000;
  const workerBytesPerChunk = Math.round((liveBytes() - before) / result.chunks);
  progress(
    `  cold load ${coldLoadSeconds.toFixed(1)} s, ${workerBytesPerChunk} bytes a chunk in the worker; ${QUERIES} queries per mode…`,
  );
  const searches = await measureSearches(db, fresh, embedder, namespace, corpus.queries);
  return {
    chunks: result.chunks,
    importSeconds: Math.round(importSeconds * 10) / 10,
    chunksPerSecond: Math.round(result.chunks / importSeconds),
    stored: result.stored,
    coldLoadSeconds: Math.round(coldLoadSeconds * 10) / 10,
    workerBytesPerChunk,
    searches,
  };
}

const SESSION_SCRIPT: ModelScriptInput = {
  rules: [
    {
      name: 'summarize',
      match: { system: '^You compress conversation history' },
      reply: {
        content:
          "The user's daughter is Ottilie and is allergic to peanuts. The user has been planning weekend errands: bakery, market, hardware store and pharmacy, with shopping lists and quantities, and asked for routes through the old town.",
      },
    },
    {
      name: 'agent',
      reply: {
        content:
          'Here is a plan: start at the bakery, then the market for apples, pears and cheese, then the hardware store for two hinges and a tube of glue, and finally the pharmacy before it closes at six. Bring the reusable bags and the list from last week.',
      },
    },
  ],
};

interface SessionMeasurement {
  turns: number;
  budgetTokens: number;
  perTurn: Array<{ turn: number; workingContextTokens: number; fullHistoryTokens: number }>;
  totals: { workingContext: number; summarization: number; fullHistory: number };
  ratioAtLastTurn: number;
  ratioOfTotals: number;
  summarizeCalls: number;
  maxWorkingContextTokens: number;
}

/**
 * A scripted 200-turn session planned by the working context (as the session workflow
 * does), counting exact tokens of what is sent at each turn against the full history.
 */
async function measureSession(): Promise<SessionMeasurement> {
  const server = await startQuietScriptedModel(SESSION_SCRIPT);
  try {
    const catalog = new ModelCatalog();
    const models = new ModelGateway({ catalog, timeoutMs: 10_000, singleEndpoint: { baseUrl: server.baseURL } });
    const agentModel = 'gpt-4.1-mini';
    const budget: ContextBudgetOptions = {
      contextWindow: catalog.require(agentModel).contextWindow,
      share: 0.5,
      maxTokens: 4_000,
    };
    const systemPrompt = 'You are a family assistant. Use the summary and the memories; say when you do not know.';
    const memories = [
      { id: 'fact-1', text: "The user's daughter is named Ottilie and is allergic to peanuts.", score: 1 },
    ];
    const history: ConversationTurn[] = [];
    let summary: RunningSummary | null = null;
    let calibration: TokenCalibration = UNCALIBRATED;
    const perTurn: SessionMeasurement['perTurn'] = [];
    let summarization = 0;
    let summarizeCalls = 0;
    for (let turn = 1; turn <= SESSION_TURNS; turn += 1) {
      const instruction =
        turn === 2
          ? "My daughter's name is Ottilie and she is allergic to peanuts."
          : `Turn ${turn}: plan errand number ${turn} for Saturday and tell me what to buy, with quantities.`;
      const plan = () =>
        planWorkingContext({ systemPrompt, instruction, history, summary, memories, budget, calibration });
      let current = plan();
      while (current.compression !== null) {
        const request = current.compression;
        const before = server.requests.length;
        const result = await summarize(models, {
          model: 'gpt-4.1-nano',
          previousSummary: summary?.text,
          messages: request.kind === 'summarize-turns' ? request.messages : [],
          targetTokens: request.targetTokens,
        });
        const sent = server.requests[before]?.body as { messages: ChatMessage[] } | undefined;
        summarization += sent === undefined ? 0 : countChatTokens(sent.messages);
        summarizeCalls += 1;
        summary = applySummary(summary, request, result.summary);
        current = plan();
      }
      const reply = await models.complete({ model: agentModel, messages: current.messages });
      calibration = calibrate(calibration, {
        estimatedTokens: current.rawEstimatedTokens,
        reportedTokens: reply.usage.inputTokens,
      });
      const full: ChatMessage[] = [
        { role: 'system', content: systemPrompt },
        ...history.flatMap((past) => past.messages),
        { role: 'user', content: instruction },
      ];
      perTurn.push({
        turn,
        workingContextTokens: countChatTokens(current.messages),
        fullHistoryTokens: countChatTokens(full),
      });
      history.push({
        turn,
        messages: [
          { role: 'user', content: instruction },
          { role: 'assistant', content: reply.content },
        ],
      });
    }
    const last = perTurn[perTurn.length - 1] as SessionMeasurement['perTurn'][number];
    const workingContext = perTurn.reduce((sum, item) => sum + item.workingContextTokens, 0);
    const fullHistory = perTurn.reduce((sum, item) => sum + item.fullHistoryTokens, 0);
    return {
      turns: SESSION_TURNS,
      budgetTokens: contextBudget(budget).total,
      perTurn,
      totals: { workingContext, summarization, fullHistory },
      ratioAtLastTurn: Math.round((last.fullHistoryTokens / last.workingContextTokens) * 100) / 100,
      ratioOfTotals: Math.round((fullHistory / (workingContext + summarization)) * 100) / 100,
      summarizeCalls,
      maxWorkingContextTokens: Math.max(...perTurn.map((item) => item.workingContextTokens)),
    };
  } finally {
    await server.close();
  }
}

/** `--sizes 10000,100000`: the corpus sizes to run. */
function parseSizes(options: readonly string[]): number[] {
  const { values } = parseArgs({ args: [...options], options: { sizes: { type: 'string' } }, strict: true });
  if (values.sizes === undefined) return DEFAULT_SIZES;
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1000)) {
    throw new Error(`--sizes must be integers of at least 1000, separated by commas, got "${values.sizes}"`);
  }
  return sizes;
}

/** Bytes one stored vector takes, for the two encodings. */
function vectorBytes(capabilities: MemoryCapabilities): { float32Binary: number; doubleArray: number; used: string } {
  // BSON: binary = 4-byte length + subtype + 2-byte vector header + 4 bytes a value;
  // array = a document with a key ("0".."255") and an 8-byte double per value.
  let arrayBytes = 5;
  for (let index = 0; index < DIMENSIONS; index += 1) arrayBytes += 1 + String(index).length + 1 + 8;
  return { float32Binary: 4 + 1 + 2 + 4 * DIMENSIONS, doubleArray: arrayBytes, used: capabilities.vectorEncoding };
}

/** Runs the memory benchmark; prints a table and returns what goes to `bench/results/memory.json`. */
export async function run(config: ChassisConfig, options: readonly string[] = []): Promise<unknown> {
  const sizes = parseSizes(options);
  const database = await openBenchDatabase(config, 'memory');
  const { db } = database;
  try {
    const embedder = new HashedNgramEmbedder({ dimensions: DIMENSIONS });
    const capabilities = await ensureMemoryIndexes(db, { vectorSearch: 'exact', embedder: embedder.description });
    const imports: Array<{ size: number } & ImportMeasurement> = [];
    for (const size of sizes) {
      imports.push({ size, ...(await measureImport(db, size, embedder)) });
      // Start the next size on an empty database, so FerretDB's scans see only that namespace.
      await db.dropDatabase();
      await ensureMemoryIndexes(db, { vectorSearch: 'exact', embedder: embedder.description });
    }
    progress(`session: ${SESSION_TURNS} scripted turns…`);
    const session = await measureSession();

    const milliseconds = (value: number) => `${value.toFixed(1)} ms`;
    printTable({
      title: [
        `memory: import and exact search on ${benchmarkMongoLocation(config)} (${os.cpus().length} CPUs, Node ${process.version})`,
        `embedder: ${embedder.description.name}, ${DIMENSIONS} dimensions, vectors stored as ${capabilities.vectorEncoding}; ${QUERIES} queries per mode, namespace cached in the worker`,
        'cold load = a fresh worker reading the namespace once; worker B/chunk = live heap + array buffers the loaded index holds, per chunk',
        'hit@10 = the record a query was built from is in the top 10',
        '',
      ],
      headers: ['chunks', 'import', 'chunks/s', 'cold load', 'worker B/chunk', 'mode', 'p50', 'p95', 'hit@10'],
      rows: imports.flatMap((measurement) =>
        (['vector', 'hybrid', 'lexical'] as const).map((mode, index) => [
          index === 0 ? String(measurement.size) : '',
          index === 0 ? `${measurement.importSeconds.toFixed(1)} s` : '',
          index === 0 ? String(measurement.chunksPerSecond) : '',
          index === 0 ? `${measurement.coldLoadSeconds.toFixed(1)} s` : '',
          index === 0 ? String(measurement.workerBytesPerChunk) : '',
          mode,
          milliseconds(measurement.searches[mode].medianMs),
          milliseconds(measurement.searches[mode].p95Ms),
          `${Math.round(measurement.searches[mode].hitAt10 * 100)}%`,
        ]),
      ),
      align: ['right', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
    });
    process.stdout.write('\n');
    const checkpoints = [1, 10, 50, 100, 150, 200];
    printTable({
      title: [
        `working context: tokens sent per turn (o200k count) over a ${SESSION_TURNS}-turn scripted session, budget ${session.budgetTokens} tokens`,
        `working context = system + running summary + recent turns + memories; ${session.summarizeCalls} summarize calls cost ${session.totals.summarization} input tokens in all`,
        '',
      ],
      headers: ['turn', 'working context', 'full history', 'ratio'],
      rows: [
        ...checkpoints.map((turn) => {
          const item = session.perTurn[turn - 1] as SessionMeasurement['perTurn'][number];
          return [
            String(turn),
            String(item.workingContextTokens),
            String(item.fullHistoryTokens),
            `${(item.fullHistoryTokens / item.workingContextTokens).toFixed(2)}x`,
          ];
        }),
        [
          'total',
          `${session.totals.workingContext} + ${session.totals.summarization} summarizing`,
          String(session.totals.fullHistory),
          `${session.ratioOfTotals.toFixed(2)}x`,
        ],
      ],
      align: ['right', 'right', 'right', 'right'],
    });

    return {
      description:
        'Import throughput and exact-path search latency (vector, hybrid = vector + BM25 fused by reciprocal rank, lexical) at 10k and 100k synthetic chunks on the configured MongoDB-wire server, and exact tokens sent per turn with the working context versus the full history over a 200-turn scripted session (scripted server = a test double of the provider).',
      mongoUri: benchmarkMongoLocation(config),
      capabilities,
      embedder: embedder.description,
      vectorBytes: vectorBytes(capabilities),
      imports,
      session: { ...session, perTurn: session.perTurn.filter((item) => item.turn % 10 === 0 || item.turn <= 2) },
    };
  } finally {
    await database.close();
  }
}
