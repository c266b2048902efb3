import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskSecrets } from '../../src/config/mask-secrets';

/**
 * Where benchmark results go: `bench/results/` (gitignored), or the folder named by
 * `CHASSIS_BENCH_RESULTS_DIR` (tests point it at a temporary folder).
 */
export function benchmarkResultsDirectory(): string {
  return process.env.CHASSIS_BENCH_RESULTS_DIR || path.join(__dirname, '..', 'results');
}

/** The machine a result was measured on; ratios from different machines are not comparable. */
export interface MachineDescription {
  /** Number of logical CPUs. */
  cpus: number;
  cpuModel: string;
  platform: string;
  /** Node version, e.g. `v20.19.0`. */
  node: string;
}

function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}

/**
 * Writes `<results directory>/<name>.json`: `{ name, date, machine, ...result }`, where a
 * result that is not a plain object is kept under `result`. Returns the file's absolute path.
 *
 * @throws when `name` is not a benchmark name (lowercase letters, digits and dashes), so a
 *   name can never point outside the results folder.
 */
export function writeBenchmarkResult(name: string, result: unknown): string {
  if (!/^[a-z0-9-]+$/.test(name)) {
    throw new Error(`benchmark name "${name}" is invalid: use lowercase letters, digits and dashes, e.g. "overhead"`);
  }
  const fields =
    typeof result === 'object' && result !== null && !Array.isArray(result)
      ? (result as Record<string, unknown>)
      : { result };
  const document = { name, date: new Date().toISOString(), machine: describeMachine(), ...fields };
  const directory = path.resolve(benchmarkResultsDirectory());
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${name}.json`);
  // Results are shared and committed to reports: no credential goes into them.
  writeFileSync(file, `${maskSecrets(JSON.stringify(document, null, 2))}\n`);
  return file;
}

/** Summary of timing samples, in milliseconds, rounded to 0.1 ms; the raw samples are kept. */
export interface SampleSummary {
  count: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

/**
 * The `fraction` quantile of `sorted` (ascending), interpolating linearly between the two
 * nearest ranks (the usual "type 7" definition). With few samples p95 sits near the maximum.
 */
export function quantile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) throw new Error('cannot take a quantile of no samples: run at least one iteration');
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const lowerValue = sorted[lower] as number;
  const upperValue = sorted[upper] as number;
  return lowerValue + (upperValue - lowerValue) * (position - lower);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Median, p95, min and max of timing samples (ms), with the samples in measurement order. */
export function summarizeSamples(samplesMs: readonly number[]): SampleSummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    medianMs: round(quantile(sorted, 0.5)),
    p95Ms: round(quantile(sorted, 0.95)),
    minMs: round(sorted[0] ?? Number.NaN),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
    samplesMs: samplesMs.map(round),
  };
}

/** The median of `values` (rounded as in {@link summarizeSamples}); NaN when there are none. */
export function medianOf(values: readonly number[]): number {
  return summarizeSamples(values.length === 0 ? [Number.NaN] : values).medianMs;
}
