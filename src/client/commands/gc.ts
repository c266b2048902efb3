import { MongoClient } from 'mongodb';
import type { ChassisConfig } from '../../config/load-config';
import { maskUri } from '../../config/mask-secrets';
import { mongoClientOptions } from '../../config/mongo-options';
import { RETENTION_COLLECTIONS, type RetentionSweepResult } from '../../contracts/retention';
import { sweepRetention } from '../../lifecycle/retention-sweep';
import { TemporalWorkflowLiveness } from '../../lifecycle/workflow-liveness';
import { isMongoUnavailable } from '../../memory/memory-errors';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { printJson } from '../output';

/** Options of {@link gcCommand}. */
export interface GcCommandOptions {
  /** Milliseconds: what was last used longer ago goes. @default the config's `CHASSIS_RETENTION_DAYS` */
  olderThanMs?: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  json?: boolean;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses `--older-than`: a number and a unit, `90m`, `12h`, `30d`, `2w` (fractions allowed).
 *
 * @throws {CliError} one line saying what is accepted (exit code 2)
 */
export function parseOlderThan(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$/i.exec(text);
  const amount = match === null ? NaN : Number(match[1]);
  if (match === null || !(amount > 0)) {
    throw new CliError(
      `--older-than "${text}" is not a duration: give a number and a unit (m, h, d or w), e.g. 30d, 12h or 90m`,
    );
  }
  return Math.round(amount * UNIT_MS[(match[2] as string).toLowerCase() as keyof typeof UNIT_MS]);
}

/** A duration in the largest unit that divides it, as `--older-than` takes it. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [...Object.entries(UNIT_MS)].reverse()) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 60_000)}m`;
}

/** The counts as a table, one row per collection. */
export function formatSweep(result: RetentionSweepResult, olderThanMs: number): string[] {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const heading = result.dryRun
    ? `Dry run, nothing deleted: what was last used before ${result.cutoff} (older than ${formatDuration(olderThanMs)}) and no running workflow needs`
    : `Deleted what was last used before ${result.cutoff} (older than ${formatDuration(olderThanMs)}) and no running workflow needs`;
  const width = Math.max(...RETENTION_COLLECTIONS.map((name) => name.length), 'collection'.length);
  const row = (name: string, deleted: string, kept: string) =>
    `${name.padEnd(width)}  ${deleted.padStart(verb.length)}  ${kept.padStart('kept (in use)'.length)}`;
  const lines = [heading, '', row('collection', verb, 'kept (in use)')];
  let deleted = 0;
  let kept = 0;
  for (const name of RETENTION_COLLECTIONS) {
    const counts = result.collections[name];
    deleted += counts.deleted;
    kept += counts.keptInUse;
    lines.push(row(name, String(counts.deleted), String(counts.keptInUse)));
  }
  lines.push(row('total', String(deleted), String(kept)));
  return lines;
}

/**
 * `chassis gc`: runs the retention sweep now, in this process (no worker needed), against
 * the configured MongoDB database, asking the configured Temporal which workflows still
 * run; prints the counts per collection.
 */
export async function gcCommand(config: ChassisConfig, options: GcCommandOptions): Promise<void> {
  const olderThanMs = options.olderThanMs ?? config.retention.retentionMs;
  const mongo = new MongoClient(
    config.mongo.uri,
    mongoClientOptions(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 }),
  );
  try {
    const db = mongo.db(config.mongo.database);
    try {
      await db.command({ ping: 1 });
    } catch (error) {
      if (!isMongoUnavailable(error)) throw error;
      throw new CliError(
        `cannot reach MongoDB at ${maskUri(config.mongo.uri)}: run "chassis dev up" to start the local database, or set MONGODB_URI`,
      );
    }
    const temporal = await connectTemporal(config);
    try {
      const result = await sweepRetention(db, new TemporalWorkflowLiveness(temporal.client), {
        cutoff: new Date(Date.now() - olderThanMs),
        dryRun: options.dryRun ?? false,
      });
      if (options.json === true) printJson(result);
      else process.stdout.write(`${formatSweep(result, olderThanMs).join('\n')}\n`);
    } finally {
      await temporal.close();
    }
  } finally {
    await mongo.close();
  }
}
