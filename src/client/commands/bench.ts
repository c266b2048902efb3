import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ChassisConfig } from '../../config/load-config';
import type * as ResultsModule from '../../../bench/support/results';
import { CliError } from '../cli-error';

const BENCH_DIRECTORY = path.join(__dirname, '..', '..', '..', 'bench');

/**
 * A benchmark module under `bench/`: prints a table and returns what goes to
 * `bench/results/<name>.json`. `options` are the command-line words after the name (a
 * benchmark that takes none ignores them).
 */
export interface BenchmarkModule {
  run(config: ChassisConfig, options: readonly string[]): Promise<unknown>;
}

function available(): string[] {
  return readdirSync(BENCH_DIRECTORY)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.replace(/\.bench\.ts$/, ''))
    .sort();
}

/** `chassis bench <name> [-- options…]`: runs `bench/<name>.bench.ts` and writes its JSON result. */
export async function benchCommand(
  config: ChassisConfig,
  name: string,
  options: readonly string[] = [],
): Promise<void> {
  const file = path.join(BENCH_DIRECTORY, `${name}.bench.ts`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new CliError(`no benchmark "${name}": available: ${available().join(', ') || '(none)'}`);
  }
  // require, not import(): the CLI runs under tsx's CommonJS loader.
  const benchmark = require(file) as BenchmarkModule;
  const { writeBenchmarkResult } = require('../../../bench/support/results') as typeof ResultsModule;
  const result = await benchmark.run(config, options);
  const written = writeBenchmarkResult(name, result);
  process.stderr.write(`results written to ${written}\n`);
}
