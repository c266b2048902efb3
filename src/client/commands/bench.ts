import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ChassisConfig } from '../../config/load-config';
import { CliError } from '../cli-error';

/**
 * A benchmark module under `bench/`: prints a table and returns what goes to
 * `bench/results/<name>.json`. `options` are the command-line words after the name (a
 * benchmark that takes none ignores them).
 */
export interface BenchmarkModule {
  run(config: ChassisConfig, options: readonly string[]): Promise<unknown>;
}

/** What `chassis bench` uses of `bench/support/results.ts`. */
interface BenchmarkResults {
  writeBenchmarkResult(name: string, result: unknown): string;
}

/** tsx's CommonJS API: `register()` hooks this process's `require` for TypeScript files. */
interface TsxApi {
  register(): () => void;
}

/**
 * The repository's `bench/` folder: the nearest folder above this file with a
 * `package.json` (the repository root, both from `src/` under tsx and from a compiled
 * `dist/src/`).
 */
function benchDirectory(): string {
  let folder = __dirname;
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  const bench = path.join(folder, 'bench');
  if (!existsSync(bench)) {
    throw new CliError(`no bench/ folder in ${folder}: benchmarks run from a clone of the Chassis repository`);
  }
  return bench;
}

function available(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => file.replace(/\.bench\.ts$/, ''))
    .sort();
}

/**
 * `chassis bench <name> [-- options…]`: runs `bench/<name>.bench.ts` and writes its JSON
 * result. Benchmarks are not part of the built CLI (`tsconfig.build.json` compiles `src/`
 * only): they are loaded from their TypeScript source through tsx on purpose, so the same
 * command works from `bin/chassis.js` (itself under tsx) and from a compiled CLI.
 */
export async function benchCommand(
  config: ChassisConfig,
  name: string,
  options: readonly string[] = [],
): Promise<void> {
  const directory = benchDirectory();
  const file = path.join(directory, `${name}.bench.ts`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new CliError(`no benchmark "${name}": available: ${available(directory).join(', ') || '(none)'}`);
  }
  // The global hook, not tsx's scoped `require`: a scoped loader adds `?namespace=` to every
  // resolved path, also inside the Temporal SDK's workflow bundler, and webpack then finds no
  // file. Under `bin/chassis.js` TypeScript is hooked already; registering again is harmless.
  (require('tsx/cjs/api') as TsxApi).register();
  const benchmark = require(file) as BenchmarkModule;
  const { writeBenchmarkResult } = require(path.join(directory, 'support', 'results.ts')) as BenchmarkResults;
  const result = await benchmark.run(config, options);
  const written = writeBenchmarkResult(name, result);
  process.stderr.write(`results written to ${written}\n`);
}
