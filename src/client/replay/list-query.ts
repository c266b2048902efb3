import { InvalidArgumentError } from 'commander';

/** Values of `chassis list --status`: a task's own status, or how its execution closed. */
export const LIST_STATUSES = [
  'running',
  'completed',
  'budget_exceeded',
  'failed',
  'cancelled',
  'timed_out',
  'terminated',
] as const;

/** One `--status` value. */
export type ListStatus = (typeof LIST_STATUSES)[number];

/** Filters of `chassis list`. */
export interface ListFilters {
  statuses?: ListStatus[];
  session?: string;
  /** Tasks started at or after this time. */
  since?: Date;
  taskQueue?: string;
}

/**
 * A visibility-query string literal. Temporal's query parser reads SQL-style literals:
 * a backslash escapes the next character, so backslashes and quotes are escaped, and
 * control characters (which no id should hold) are refused.
 */
export function queryLiteral(value: string): string {
  if ([...value].some((character) => character.charCodeAt(0) < 0x20)) {
    throw new InvalidArgumentError('must not contain control characters');
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// The workflow sets ChassisStatus; a run that timed out or was terminated never got to, so
// the execution status answers for those.
const STATUS_CLAUSES: Record<ListStatus, string> = {
  running: "ExecutionStatus = 'Running'",
  completed: "ChassisStatus = 'completed'",
  budget_exceeded: "ChassisStatus = 'budget_exceeded'",
  failed: "(ChassisStatus = 'failed' OR ExecutionStatus = 'Failed')",
  cancelled: "(ChassisStatus = 'cancelled' OR ExecutionStatus = 'Canceled')",
  timed_out: "ExecutionStatus = 'TimedOut'",
  terminated: "ExecutionStatus = 'Terminated'",
};

/** The visibility query of `chassis list`: agent tasks (not their subtasks), filtered. */
export function buildListQuery(filters: ListFilters): string {
  const clauses = ["WorkflowType = 'agentTaskWorkflow'"];
  const statuses = [...new Set(filters.statuses ?? [])];
  if (statuses.length === 1) clauses.push(STATUS_CLAUSES[statuses[0] as ListStatus]);
  if (statuses.length > 1) clauses.push(`(${statuses.map((status) => STATUS_CLAUSES[status]).join(' OR ')})`);
  if (filters.session !== undefined) clauses.push(`ChassisSession = ${queryLiteral(filters.session)}`);
  if (filters.taskQueue !== undefined) clauses.push(`TaskQueue = ${queryLiteral(filters.taskQueue)}`);
  if (filters.since !== undefined) clauses.push(`StartTime >= ${queryLiteral(filters.since.toISOString())}`);
  return clauses.join(' AND ');
}

/** Parses `--status failed,timed_out` (comma-separated, each one of {@link LIST_STATUSES}). */
export function parseStatuses(value: string): ListStatus[] {
  const statuses = value
    .split(',')
    .map((status) => status.trim().toLowerCase().replace(/-/g, '_'))
    .filter((status) => status !== '');
  const unknown = statuses.filter((status) => !(LIST_STATUSES as readonly string[]).includes(status));
  if (statuses.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`use one or more of ${LIST_STATUSES.join(', ')} (comma-separated)`);
  }
  return statuses as ListStatus[];
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `--since 24h` (s, m, h, d, w) or an ISO date, relative to `now`. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (relative) {
    return new Date(now.getTime() - Number(relative[1]) * (UNIT_MS[(relative[2] ?? 'h').toLowerCase()] ?? 0));
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const date = new Date(value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new InvalidArgumentError('use a duration such as 30m, 24h or 7d, or an ISO date such as 2026-01-31');
}
