import fs from 'node:fs';

/**
 * The append-only JSONL files of the chaos effect server (`src/testing/mcp/effect-server.ts`)
 * and how executions are counted from them. The files are the ground truth of the suite:
 * they are written by the side-effecting tool itself, outside MongoDB and the workers.
 */

/** One execution of `record_effect`: a line of the effects file. */
export interface EffectRecord {
  /** When the effect was applied (ISO 8601). */
  at: string;
  tool: 'record_effect';
  /** The call's `_meta.idempotencyKey`; `null` when the caller sent none. */
  idempotencyKey: string | null;
  arguments: { task: string; label: string };
  /** What the tool answered. */
  output: string;
  /** The MCP server process and the worker that started it. */
  pid: number;
  workerPid: number;
}

/** The start of one tool call: a line of the calls file. */
export interface CallRecord {
  at: string;
  tool: string;
  idempotencyKey: string | null;
  arguments: Record<string, unknown>;
  pid: number;
  workerPid: number;
}

/** The output `record_effect` answers for a label; deterministic, so an outcome check can repeat it. */
export function effectOutput(label: string): string {
  return `effect "${label}" recorded`;
}

/**
 * Parses JSONL text into records. A line that is not JSON (a write cut short by a crash)
 * is skipped rather than failing the count; `skipped` says how many.
 */
export function parseJsonLines<T>(text: string): { records: T[]; skipped: number } {
  const records: T[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      skipped += 1;
    }
  }
  return { records, skipped };
}

/** The records of a JSONL file; none when it does not exist yet. */
export function readJsonLinesFile<T>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parseJsonLines<T>(text).records;
}

/** The executions recorded in an effects file. */
export function readEffectsFile(file: string): EffectRecord[] {
  return readJsonLinesFile<EffectRecord>(file);
}

/** The call starts recorded in a calls file. */
export function readCallsFile(file: string): CallRecord[] {
  return readJsonLinesFile<CallRecord>(file);
}

/** How often one task's effect ran. */
export interface EffectCount {
  label: string;
  /** Lines in the effects file for this label. */
  executions: number;
  /** Idempotency keys seen (a `null` key counts as one key per label: the caller sent none). */
  keys: number;
  /**
   * True when one call ran more than once: more than one execution under the same key, or,
   * when the caller sends no keys, more than one execution for the label (each task calls
   * the tool once, so a second execution is a repeat).
   */
  duplicated: boolean;
  /** Executions beyond the first of each key. */
  extraExecutions: number;
}

/** Counts executions per label; labels with no execution get a zero count. */
export function countEffects(records: readonly EffectRecord[], labels: readonly string[]): Map<string, EffectCount> {
  const byLabel = new Map<string, Map<string, number>>();
  for (const label of labels) byLabel.set(label, new Map());
  for (const record of records) {
    const label = record.arguments?.label;
    if (typeof label !== 'string') continue;
    const keys = byLabel.get(label) ?? new Map<string, number>();
    byLabel.set(label, keys);
    const key = record.idempotencyKey ?? '(no key)';
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  const counts = new Map<string, EffectCount>();
  for (const [label, keys] of byLabel) {
    const executions = [...keys.values()].reduce((sum, count) => sum + count, 0);
    const extraExecutions = [...keys.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    counts.set(label, { label, executions, keys: keys.size, duplicated: extraExecutions > 0, extraExecutions });
  }
  return counts;
}
