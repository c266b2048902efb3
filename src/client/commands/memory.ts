import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { ChassisConfig } from '../../config/load-config';
import { maskUri } from '../../config/mask-secrets';
import type { KnowledgeHit } from '../../contracts/memory';
import { parseBatchQueries } from '../../memory/batch-queries';
import { parseImportRecords } from '../../memory/import-records';
import { isMongoUnavailable, isEmbedderMismatchError, isMemoryInputError } from '../../memory/memory-errors';
import { MemoryService } from '../../memory/memory-service';
import { CliError, isCliError } from '../cli-error';
import { note, printJson } from '../output';

/** Records per import batch; a file with more than one batch gets progress lines. */
const IMPORT_BATCH = 1000;

/** Turns the memory layer's input and connection errors into one-line CLI errors (exit 2). */
function asCliError(error: unknown, config: ChassisConfig): unknown {
  if (isCliError(error)) return error;
  if (isMemoryInputError(error) || isEmbedderMismatchError(error)) return new CliError(error.message);
  if (isMongoUnavailable(error)) {
    return new CliError(
      `cannot reach MongoDB at ${maskUri(config.mongo.uri)}: run "chassis dev up" to start the local database, or set MONGODB_URI`,
    );
  }
  return error;
}

/** Opens the memory service, runs `work`, closes it; errors become one-line CLI errors. */
async function withMemory<T>(config: ChassisConfig, work: (service: MemoryService) => Promise<T>): Promise<T> {
  let service: MemoryService | undefined;
  try {
    service = await MemoryService.open(config);
    return await work(service);
  } catch (error) {
    throw asCliError(error, config);
  } finally {
    await service?.close();
  }
}

async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`,
    );
  }
}

/** Parses before connecting, so a bad file fails fast with its line number and nothing is written. */
function parseOrFail<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isMemoryInputError(error)) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}

/**
 * The progress line of a large import: rewritten in place on a terminal, otherwise (a log
 * file, a CI job) one line each time another tenth is done.
 */
function importProgress(): (done: number, total: number) => void {
  let lastTenth = 0;
  return (done, total) => {
    const percent = Math.round((100 * done) / total);
    const line = `imported ${done}/${total} records (${percent}%)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((10 * done) / total);
    if (tenth > lastTenth || done === total) note(line);
    lastTenth = tenth;
  };
}

/** Options of `chassis memory import`. */
export interface MemoryImportOptions {
  namespace?: string;
  json?: boolean;
}

/**
 * `chassis memory import FILE.jsonl [--namespace N]`: one JSON object per line with `text`
 * and optional `id`, `session`, `time`, `meta`, `tags`. Prints what was stored, skipped
 * (already stored) and de-duplicated (a text without an id already stored).
 */
export async function memoryImportCommand(
  config: ChassisConfig,
  file: string,
  options: MemoryImportOptions = {},
): Promise<void> {
  const text = await readInputFile(file, 'import file');
  const records = parseOrFail(file, () => parseImportRecords(text));
  if (records.length === 0) throw new CliError(`${file} has no records: each line needs a JSON object with "text"`);
  await withMemory(config, async (service) => {
    const namespace = options.namespace ?? service.settings.namespace;
    const started = performance.now();
    const large = records.length > IMPORT_BATCH;
    const result = await service.import(records, {
      namespace,
      source: file,
      batchSize: IMPORT_BATCH,
      onProgress: large ? importProgress() : undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    if (options.json) {
      printJson({ namespace, ...result, seconds: Math.round(seconds * 10) / 10 });
      return;
    }
    process.stdout.write(
      `${namespace}: ${result.records} records read, ${result.stored} stored, ${result.alreadyStored} skipped (already stored), ` +
        `${result.duplicates} de-duplicated (same text as a stored one, no id of their own) in ${seconds.toFixed(1)} s\n`,
    );
  });
}

/** Options of `chassis memory search`. */
export interface MemorySearchOptions {
  namespace?: string;
  k?: number;
  json?: boolean;
  batch?: string;
}

function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

function formatHits(hits: readonly KnowledgeHit[]): string {
  if (hits.length === 0) return 'no results\n';
  return `${hits
    .map(
      (hit, index) =>
        `${String(index + 1).padStart(2)}. ${hit.chunk.documentId}  (${hit.score.toFixed(4)})  ${oneLine(hit.chunk.text, 100)}`,
    )
    .join('\n')}\n`;
}

/**
 * `chassis memory search "<query>" [--namespace N] [--k 10] [--json]`, or with
 * `--batch QUERIES.jsonl` (lines `{"id", "query"}`) one JSON line per query:
 * `{"id", "results": [{"id", "score"}]}` where result ids are the ids given at import.
 */
export async function memorySearchCommand(
  config: ChassisConfig,
  query: string | undefined,
  options: MemorySearchOptions = {},
): Promise<void> {
  const k = options.k ?? 10;
  if (options.batch !== undefined) {
    if (query !== undefined) throw new CliError('give either a query or --batch FILE, not both');
    const file = options.batch;
    const text = await readInputFile(file, 'batch file');
    const queries = parseOrFail(file, () => parseBatchQueries(text));
    await withMemory(config, async (service) => {
      const namespace = options.namespace ?? service.settings.namespace;
      // One line per query as it is answered, so a long batch streams.
      for (const item of queries) {
        const [answer] = await service.searchBatch([item], { namespace, k });
        process.stdout.write(`${JSON.stringify(answer)}\n`);
      }
    });
    return;
  }
  if (query === undefined || query.trim() === '') {
    throw new CliError('the search query is empty: chassis memory search "<query>", or --batch QUERIES.jsonl');
  }
  await withMemory(config, async (service) => {
    const namespace = options.namespace ?? service.settings.namespace;
    const result = await service.search({ namespace, query, k, groupBy: 'document' });
    if (options.json) {
      printJson(
        result.hits.map((hit) => ({
          id: hit.chunk.documentId,
          score: hit.score,
          text: hit.chunk.text,
          ...(hit.chunk.sessionId === undefined ? {} : { session: hit.chunk.sessionId }),
          ...(hit.chunk.occurredAt === undefined ? {} : { time: hit.chunk.occurredAt }),
          ...(hit.chunk.meta === undefined ? {} : { meta: hit.chunk.meta }),
        })),
      );
      return;
    }
    process.stdout.write(formatHits(result.hits));
  });
}

/** Options of `chassis memory list`. */
export interface MemoryListOptions {
  namespace?: string;
  limit?: number;
  json?: boolean;
}

/**
 * `chassis memory list [--namespace N] [--limit 100] [--json]`: the namespaces with their
 * embedder and size, or, with `--namespace`, that namespace's entries, newest first.
 */
export async function memoryListCommand(config: ChassisConfig, options: MemoryListOptions = {}): Promise<void> {
  await withMemory(config, async (service) => {
    if (options.namespace === undefined) {
      const namespaces = await service.namespaces();
      const counted = await Promise.all(
        namespaces.map(async (item) => ({ ...item, entries: await service.count(item.namespace) })),
      );
      if (options.json) {
        printJson(counted);
        return;
      }
      if (counted.length === 0) {
        process.stdout.write('no namespaces: import some memories with "chassis memory import FILE.jsonl"\n');
        return;
      }
      const width = Math.max(...counted.map((item) => item.namespace.length));
      for (const item of counted) {
        process.stdout.write(
          `${item.namespace.padEnd(width)}  ${String(item.entries).padStart(8)} entries  ${item.embedder.name} (${item.embedder.dimensions} dimensions)\n`,
        );
      }
      return;
    }
    const entries = await service.list({ namespace: options.namespace, limit: options.limit ?? 100 });
    if (options.json) {
      printJson(entries);
      return;
    }
    if (entries.length === 0) {
      process.stdout.write(`namespace ${options.namespace} has no entries\n`);
      return;
    }
    for (const entry of entries) {
      process.stdout.write(`${entry.documentId}  ${entry.kind}  ${oneLine(entry.text, 100)}\n`);
    }
  });
}

/** Options of `chassis memory delete`. */
export interface MemoryDeleteOptions {
  namespace?: string;
  /** Delete only these documents (ids given at import); without them the whole namespace goes. */
  id?: string[];
  json?: boolean;
}

/** `chassis memory delete [--namespace N] [--id ID…]`: a whole namespace, or some of its documents. */
export async function memoryDeleteCommand(config: ChassisConfig, options: MemoryDeleteOptions = {}): Promise<void> {
  await withMemory(config, async (service) => {
    const namespace = options.namespace ?? service.settings.namespace;
    const documentIds = options.id ?? [];
    const { deleted } = await service.delete(namespace, documentIds.length > 0 ? { documentIds } : {});
    if (options.json) {
      printJson({ namespace, deleted });
      return;
    }
    process.stdout.write(
      documentIds.length > 0
        ? `${namespace}: deleted ${deleted} entries of ${documentIds.length} documents\n`
        : `${namespace}: deleted the namespace and its ${deleted} entries\n`,
    );
  });
}
