/**
 * Dynamic configuration of the local Temporal dev server (`temporal server start-dev
 * --dynamic-config-value KEY=VALUE`), chosen by measurement (`npm run bench -- handoffs`,
 * numbers and reasons in docs/performance.md).
 *
 * The dev server runs every service in one process with ONE history shard. Temporal's
 * per-shard defaults are sized for clusters with hundreds of shards, so on the dev server a
 * per-shard limit becomes a limit for the whole server.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number>> = {
  // Every hand-off (a workflow task or an activity task going to matching) is a transfer task
  // that the shard's queue reader loads; the reader is rate-limited to 20 loads per second per
  // shard (burst 20). With one shard, back-to-back runs spend the burst in a few tasks and then
  // wait ~40-50 ms for a token at every hand-off: the "40 ms pause" of the first measurements.
  'history.transferProcessorMaxPollRPS': 10_000,
  // The same limit on the timer queue (retry back-offs, timeouts, durable sleeps) and on the
  // visibility queue (search attributes reaching `chassis list` and the UI).
  'history.timerProcessorMaxPollRPS': 10_000,
  'history.visibilityProcessorMaxPollRPS': 10_000,
  // An activity scheduled on the workflow's own task queue comes back in the response to the
  // workflow task that scheduled it when the worker has a free slot, skipping matching.
  'system.enableActivityEagerExecution': true,
  // Partitions spread a busy queue over matching hosts; the dev server has one, and four
  // partitions only add forwarding between them when pollers and tasks land on different ones.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Long polls (workers' pollers, clients waiting for results) are capped per namespace at
  // 1,200; a thousand clients awaiting results plus the pollers would hit it.
  'frontend.namespaceCount': 10_000,
};

/** `--dynamic-config-value KEY=VALUE` arguments for a dynamic configuration (values as JSON). */
export function dynamicConfigArguments(values: Readonly<Record<string, boolean | number | string>>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}

/**
 * SQLite settings of the dev server's state file (`--sqlite-pragma`). With SQLite's default
 * journal every commit waits for an fsync, and the dev server commits at every hand-off: a
 * plain three-activity workflow took 76–87 ms with the defaults and 45–67 ms with these,
 * the same as with no file at all (in memory). Write-ahead logging with `synchronous=normal`
 * survives a crash or a kill -9 of the server; only a power loss or an OS crash can undo the
 * last commits, which a development server may afford (a production cluster runs on its own
 * database).
 */
export const DEV_SERVER_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

/** `--sqlite-pragma NAME=VALUE` arguments. */
export function sqlitePragmaArguments(pragmas: Readonly<Record<string, string>>): string[] {
  return Object.entries(pragmas).flatMap(([name, value]) => ['--sqlite-pragma', `${name}=${value}`]);
}
