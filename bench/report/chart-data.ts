/**
 * Tidy rows for the report's charts, read from benchmark result files
 * (`bench/results/<name>.json`). Each reader takes the parsed JSON as `unknown` and returns
 * `[]` when the file has no usable data (an older format, a benchmark that failed), so one
 * stale file never breaks the whole report.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayOf(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let current: unknown = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return typeof current === 'number' && Number.isFinite(current) ? current : undefined;
}

/** Labels of the overhead benchmark's variants, in the order the charts show them. */
export const OVERHEAD_VARIANT_LABELS: Readonly<Record<string, string>> = {
  bare: 'bare loop',
  plain: 'plain Temporal workflow',
  chassis: 'Chassis',
  'chassis-no-memory': 'Chassis, memory off',
  'chassis-codec': 'Chassis, claim check + encryption',
};

/** One bar of the overhead chart. */
export interface OverheadRow {
  modelLatencyMs: number;
  variant: string;
  medianMs: number;
}

/** Median task time per variant (1-round task) and model latency, from `overhead.json`. */
export function overheadRows(result: unknown): OverheadRow[] {
  const rows: OverheadRow[] = [];
  for (const measurement of arrayOf(isObject(result) ? result.measurements : undefined)) {
    const modelLatencyMs = numberAt(measurement, 'modelLatencyMs');
    if (modelLatencyMs === undefined) continue;
    for (const [name, label] of Object.entries(OVERHEAD_VARIANT_LABELS)) {
      const medianMs = numberAt(measurement, 'variants', name, 'medianMs');
      if (medianMs !== undefined) rows.push({ modelLatencyMs, variant: label, medianMs });
    }
  }
  return rows;
}

/** One point of the orchestration chart. */
export interface OrchestrationRow {
  subtasks: number;
  series: 'measured' | 'ideal';
  speedUp: number;
}

/** Speed-up of N parallel subtasks over a chain of N (ratio of medians), and the ideal, from `orchestration.json`. */
export function orchestrationRows(result: unknown): OrchestrationRow[] {
  return arrayOf(isObject(result) ? result.measurements : undefined).flatMap((measurement) => {
    const subtasks = numberAt(measurement, 'subtasks');
    const measured = numberAt(measurement, 'ratioOfMedians');
    const ideal = numberAt(measurement, 'idealRatio');
    if (subtasks === undefined || measured === undefined || ideal === undefined) return [];
    return [
      { subtasks, series: 'measured' as const, speedUp: measured },
      { subtasks, series: 'ideal' as const, speedUp: ideal },
    ];
  });
}

/** One concurrency level of the throughput charts. */
export interface ThroughputRow {
  concurrency: number;
  tasksPerMinute: number;
  /** The worker's peak resident memory during the level, in MiB. */
  workerMemoryMb?: number;
  errors: number;
}

/** Tasks per minute and worker memory by concurrency, from `throughput.json`. */
export function throughputRows(result: unknown): ThroughputRow[] {
  return arrayOf(isObject(result) ? result.levels : undefined).flatMap((level) => {
    const concurrency = numberAt(level, 'concurrency');
    const tasksPerMinute = numberAt(level, 'tasksPerMinute');
    if (concurrency === undefined || tasksPerMinute === undefined) return [];
    const bytes = numberAt(level, 'workerPeakBytes');
    return [
      {
        concurrency,
        tasksPerMinute,
        ...(bytes === undefined ? {} : { workerMemoryMb: Math.round((bytes / (1024 * 1024)) * 10) / 10 }),
        errors: numberAt(level, 'errors') ?? 0,
      },
    ];
  });
}

/** One bar of the memory-search chart. */
export interface SearchRow {
  chunks: number;
  mode: string;
  p50Ms: number;
  p95Ms: number;
}

/** Search latency by corpus size and mode, from `memory.json`. */
export function searchRows(result: unknown): SearchRow[] {
  return arrayOf(isObject(result) ? result.imports : undefined).flatMap((measurement) => {
    const chunks = numberAt(measurement, 'size') ?? numberAt(measurement, 'chunks');
    const searches = measurement.searches;
    if (chunks === undefined || !isObject(searches)) return [];
    return Object.keys(searches).flatMap((mode) => {
      const p50Ms = numberAt(searches, mode, 'medianMs');
      const p95Ms = numberAt(searches, mode, 'p95Ms');
      return p50Ms === undefined || p95Ms === undefined ? [] : [{ chunks, mode, p50Ms, p95Ms }];
    });
  });
}

/** One point of the history chart. */
export interface HistoryRow {
  steps: number;
  contextKb: number;
  claimCheck: 'on' | 'off';
  historyKb: number;
}

/** History size by agent steps, context size and claim check, from `history.json`. */
export function historyRows(result: unknown): HistoryRow[] {
  return arrayOf(isObject(result) ? result.measurements : undefined).flatMap((measurement) => {
    const steps = numberAt(measurement, 'steps');
    const contextBytes = numberAt(measurement, 'contextBytes');
    if (steps === undefined || contextBytes === undefined) return [];
    return (['off', 'on'] as const).flatMap((claimCheck) => {
      const bytes = numberAt(measurement, claimCheck, 'historyBytes');
      if (bytes === undefined) return [];
      return [
        { steps, contextKb: Math.round(contextBytes / 1024), claimCheck, historyKb: Math.round(bytes / 102.4) / 10 },
      ];
    });
  });
}
