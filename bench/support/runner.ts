import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import type { ChassisConfig } from '../../src/config/load-config';
import { startScriptedRig, type ScriptedRig, type ScriptedRigOptions } from '../../src/testing/scripted-stack';
import { mongoUnreachableError } from './header';

/**
 * The one benchmark runner: what every `bench/*.bench.ts` does around its own measurement.
 * `chassis bench <name>` loads the module, calls its `run` and writes the result (see
 * `src/client/commands/bench.ts`); the module uses these to report progress, stand up the
 * real stack with the scripted model, open its database, and run its sides side by side.
 */

/** A progress line on stderr; stdout carries the tables only. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The one-line error when a benchmark cannot start its workers (Temporal down or unreachable). */
export function temporalUnreachableError(config: ChassisConfig, error: Error): Error {
  return new Error(
    `cannot start workers on Temporal at ${config.temporal.address} (${error.message}): run "chassis dev up" to start the local stack, or set TEMPORAL_ADDRESS`,
  );
}

/**
 * The scripted rig of `src/testing/scripted-stack.ts` for a benchmark: the workflow bundle,
 * the scripted model server (a test double for the provider, never a model) and workers on
 * the configured Temporal server. A stack that cannot start fails with
 * {@link temporalUnreachableError}. Close it with `close()`.
 */
export async function startBenchRig(config: ChassisConfig, options: ScriptedRigOptions = {}): Promise<ScriptedRig> {
  progress('bundling workflows…');
  const rig = await startScriptedRig(options);
  const startStack = rig.startStack.bind(rig);
  return {
    ...rig,
    startStack: (stackOptions) =>
      startStack({ taskQueuePrefix: 'bench', ...stackOptions }).catch((error: unknown) => {
        throw temporalUnreachableError(config, error as Error);
      }),
  };
}

/** A benchmark's own database on the configured MongoDB-wire server. */
export interface BenchDatabase {
  mongo: MongoClient;
  db: Db;
  /** Drops the database and closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens `chassis_bench_<label>_<random>` (a fresh name: an earlier run's cache entries or
 * documents cannot change this run); an unreachable server is {@link mongoUnreachableError}.
 */
export async function openBenchDatabase(config: ChassisConfig, label: string): Promise<BenchDatabase> {
  const mongo = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await mongo.connect();
  } catch (error) {
    await mongo.close().catch(() => undefined);
    throw mongoUnreachableError(config, error as Error);
  }
  const db = mongo.db(`chassis_bench_${label}_${randomBytes(4).toString('hex')}`);
  return {
    mongo,
    db,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}

/** Where a run stands, for the side's `run` and for progress lines. */
export interface RoundPosition {
  /** 0-based within its phase: warm-up rounds count from 0, then the counted rounds from 0 again. */
  index: number;
  warmup: boolean;
}

/** Options of {@link alternatingRounds}. */
export interface AlternatingRoundsOptions<Side, Sample> {
  /** What is compared: variants, modes, settings. */
  sides: readonly Side[];
  /** Counted rounds. */
  rounds: number;
  /** Rounds run first and not counted (JIT, connection pools, caches). @default 0 */
  warmupRounds?: number;
  /** Runs one side once and measures it. */
  run: (side: Side, position: RoundPosition) => Promise<Sample>;
  /** Called before each round, e.g. for a progress line. */
  onRound?: (position: RoundPosition) => void;
}

/**
 * Runs sides side by side in one process: every round runs each side once, in an order
 * rotated by one from round to round, so drift in the machine's load (and one side's
 * garbage or background work) spreads over all sides instead of landing on one. Returns
 * the counted samples, by side, in the order of `sides`.
 */
export async function alternatingRounds<Side, Sample>(
  options: AlternatingRoundsOptions<Side, Sample>,
): Promise<Sample[][]> {
  const { sides, rounds, warmupRounds = 0 } = options;
  if (!Number.isInteger(rounds) || rounds < 0 || !Number.isInteger(warmupRounds) || warmupRounds < 0) {
    throw new Error(`rounds and warm-up rounds must be whole numbers of at least 0, got ${rounds} and ${warmupRounds}`);
  }
  const samples = sides.map((): Sample[] => []);
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const warmup = round < warmupRounds;
    const position = { index: warmup ? round : round - warmupRounds, warmup };
    options.onRound?.(position);
    for (let offset = 0; offset < sides.length; offset++) {
      const index = (round + offset) % sides.length;
      const sample = await options.run(sides[index] as Side, position);
      if (!warmup) samples[index]?.push(sample);
    }
  }
  return samples;
}
