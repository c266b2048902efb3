/** The collections the retention sweep deletes from, in the order it sweeps them. */
export const RETENTION_COLLECTIONS = [
  'payloads',
  // Before the outputs: an output stays while a cached result still points at it.
  'tool_cache',
  'tool_outputs',
  'model_prompt_cache',
  'tool_effects',
  'task_events',
  'task_event_sources',
  'task_event_streams',
  'memory_episodes',
] as const;

/** One of {@link RETENTION_COLLECTIONS}. */
export type RetentionCollection = (typeof RETENTION_COLLECTIONS)[number];

/** Input of `retentionSweepWorkflow` and of the `sweepRetention` activity. */
export interface RetentionSweepInput {
  /**
   * Delete what was last used longer ago than this many milliseconds.
   * @default the worker's `CHASSIS_RETENTION_DAYS`
   */
  olderThanMs?: number;
  /** Count what would be deleted, delete nothing. @default false */
  dryRun?: boolean;
}

/** What happened in one collection. */
export interface RetentionCollectionCounts {
  /** Documents deleted (or, in a dry run, that would be). */
  deleted: number;
  /** Documents old enough to go but kept because a running workflow (or, for payloads, a history) still refers to them. */
  keptInUse: number;
}

/** Result of a sweep: per collection, what went and what stayed. */
export interface RetentionSweepResult {
  /** ISO time: documents last used before it were candidates. */
  cutoff: string;
  dryRun: boolean;
  collections: Record<RetentionCollection, RetentionCollectionCounts>;
}
