import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { ChassisConfig } from '../../config/load-config';
import type { UsageLine } from '../../contracts/models';
import { ChassisCostUsd, ChassisStatus, ChassisTokens } from '../../contracts/search-attributes';
import { addCost, addUsageLine } from '../../shared/usage';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { printJson } from '../output';

/** Options of {@link usageCommand}. */
export interface UsageCommandOptions {
  /** How far back, by close time: `30m`, `24h`, `7d`, `2w`. @default '24h' */
  since?: string;
  json?: boolean;
  /** Only tasks of this task queue (tests use their unique queue). @default every queue */
  taskQueue?: string;
  /**
   * Read at most this many completed tasks' results for the split by model and tier (one
   * history read each); the totals always cover every task. @default 200
   */
  maxResults?: number;
  /** @default the current time */
  now?: Date;
}

/** Tasks, tokens and cost of a group of tasks. */
export interface UsageTotals {
  tasks: number;
  tokens: number;
  costUsd: number;
}

/** What `chassis usage --json` prints. */
export interface UsageReport {
  /** ISO time of the window's start (close time), and of its end. */
  since: string;
  until: string;
  /** The visibility query that selected the tasks. */
  query: string;
  /** From the tasks' search attributes (ChassisCostUsd, ChassisTokens); nested tasks of a listed task are left out. */
  totals: UsageTotals;
  /** Keyed by how the task ended: `completed`, `budget_exceeded`, `failed`, `terminated`, … */
  byStatus: Record<string, UsageTotals>;
  /** Nested agent tasks (children of a listed task) left out: their parent's totals include them. */
  nestedTasks: number;
  /** From completed tasks' results (`usage.byModel` / `usage.byTier`), when they carry them. */
  byModel: Record<string, UsageLine>;
  byTier: Record<string, UsageLine>;
  /** How much of the split by model and tier is known. */
  breakdown: {
    /** Completed tasks whose result had `usage.byModel`. */
    fromTasks: number;
    /** Completed tasks whose result was read but had no split (older tasks, or unreadable results). */
    withoutSplit: number;
    /** Completed tasks whose result was not read (over `maxResults`). */
    notRead: number;
  };
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses a look-back like `30m`, `24h`, `7d` or `2w` into milliseconds.
 *
 * @throws {CliError} one line saying what is accepted
 */
export function parseSince(text: string): number {
  const match = /^\s*(\d+)\s*([mhdw])\s*$/i.exec(text);
  const amount = match === null ? NaN : Number(match[1]);
  if (match === null || !(amount > 0)) {
    throw new CliError(
      `--since "${text}" is not a duration: give a whole number and a unit (m, h, d or w), e.g. 30m, 24h or 7d`,
    );
  }
  return amount * UNIT_MS[(match[2] as string).toLowerCase() as keyof typeof UNIT_MS];
}

/** The visibility query of agent tasks closed after `since`. */
export function usageQuery(since: Date, taskQueue?: string): string {
  const clauses = ['WorkflowType = "agentTaskWorkflow"', `CloseTime > "${since.toISOString()}"`];
  if (taskQueue !== undefined) clauses.push(`TaskQueue = ${JSON.stringify(taskQueue)}`);
  return clauses.join(' AND ');
}

function addTotals(total: UsageTotals | undefined, tokens: number, costUsd: number): UsageTotals {
  const base = total ?? { tasks: 0, tokens: 0, costUsd: 0 };
  return { tasks: base.tasks + 1, tokens: base.tokens + tokens, costUsd: addCost(base.costUsd, costUsd) };
}

function isUsageLine(value: unknown): value is UsageLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return ['calls', 'inputTokens', 'cachedInputTokens', 'outputTokens', 'costUsd'].every(
    (field) => typeof line[field] === 'number',
  );
}

/** Adds a result's `byModel`/`byTier` record into `into`; false when it is missing or malformed. */
function addLines(into: Record<string, UsageLine>, lines: unknown): boolean {
  if (typeof lines !== 'object' || lines === null) return false;
  const entries = Object.entries(lines as Record<string, unknown>);
  if (!entries.every(([, line]) => isUsageLine(line))) return false;
  for (const [key, line] of entries as [string, UsageLine][]) into[key] = addUsageLine(into[key], line);
  return true;
}

/** One closed agent task, as visibility lists it. */
export interface ClosedTask {
  workflowId: string;
  runId: string;
  /** Set for a task started as a child workflow (a nested task of a larger one). */
  parentWorkflowId?: string;
  /** The execution status name: `COMPLETED`, `FAILED`, `TERMINATED`, … */
  executionStatus: string;
  /** The task's own status (the ChassisStatus search attribute), when set. */
  taskStatus?: string;
  tokens: number;
  costUsd: number;
}

/** The fields of a visibility entry the report needs. */
export function closedTaskOf(info: WorkflowExecutionInfo): ClosedTask {
  const taskStatus = info.typedSearchAttributes.get(ChassisStatus);
  const parentWorkflowId = info.parentExecution?.workflowId;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    ...(parentWorkflowId ? { parentWorkflowId } : {}),
    executionStatus: info.status.name,
    ...(taskStatus !== undefined ? { taskStatus } : {}),
    tokens: info.typedSearchAttributes.get(ChassisTokens) ?? 0,
    costUsd: info.typedSearchAttributes.get(ChassisCostUsd) ?? 0,
  };
}

/** How a task ended: the task's own status for completed runs, else the execution's. */
function statusOf(task: ClosedTask): string {
  switch (task.executionStatus) {
    case 'COMPLETED':
      return task.taskStatus ?? 'completed';
    case 'FAILED':
      return 'failed';
    default:
      return task.executionStatus.toLowerCase();
  }
}

/**
 * Totals and the split by status of closed tasks. A nested task (a child of another
 * listed task) is left out: its usage is already in its parent's totals.
 */
export function summarizeTasks(tasks: ClosedTask[]): {
  totals: UsageTotals;
  byStatus: Record<string, UsageTotals>;
  counted: ClosedTask[];
  nested: number;
} {
  const listed = new Set(tasks.map((task) => task.workflowId));
  const counted = tasks.filter((task) => task.parentWorkflowId === undefined || !listed.has(task.parentWorkflowId));
  let totals: UsageTotals = { tasks: 0, tokens: 0, costUsd: 0 };
  const byStatus: Record<string, UsageTotals> = {};
  for (const task of counted) {
    totals = addTotals(totals, task.tokens, task.costUsd);
    const status = statusOf(task);
    byStatus[status] = addTotals(byStatus[status], task.tokens, task.costUsd);
  }
  return { totals, byStatus, counted, nested: tasks.length - counted.length };
}

/** Reads results a few at a time: one history read per task. */
async function readResults(client: Client, tasks: ClosedTask[]): Promise<unknown[]> {
  const results: unknown[] = new Array(tasks.length);
  let next = 0;
  const readNext = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      const task = tasks[index] as ClosedTask;
      results[index] = await client.workflow
        .getHandle(task.workflowId, task.runId, { followRuns: false })
        .result()
        .catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, tasks.length) }, readNext));
  return results;
}

/** Builds the report from visibility (and completed tasks' results for the split). */
export async function collectUsage(
  client: Client,
  options: { since: Date; until: Date; taskQueue?: string; maxResults: number },
): Promise<UsageReport> {
  const query = usageQuery(options.since, options.taskQueue);
  const listed: ClosedTask[] = [];
  for await (const info of client.workflow.list({ query })) listed.push(closedTaskOf(info));
  const { totals, byStatus, counted, nested } = summarizeTasks(listed);
  const report: UsageReport = {
    since: options.since.toISOString(),
    until: options.until.toISOString(),
    query,
    totals,
    byStatus,
    nestedTasks: nested,
    byModel: {},
    byTier: {},
    breakdown: { fromTasks: 0, withoutSplit: 0, notRead: 0 },
  };
  const completed = counted.filter((task) => task.executionStatus === 'COMPLETED');
  const toRead = completed.slice(0, options.maxResults);
  report.breakdown.notRead = completed.length - toRead.length;
  for (const result of await readResults(client, toRead)) {
    const usage = (result as { usage?: { byModel?: unknown; byTier?: unknown } } | undefined)?.usage;
    const hasModels = usage !== undefined && addLines(report.byModel, usage.byModel);
    if (usage !== undefined) addLines(report.byTier, usage.byTier);
    if (hasModels) report.breakdown.fromTasks++;
    else report.breakdown.withoutSplit++;
  }
  return report;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)];
}

const integer = (value: number) => value.toLocaleString('en-US');
const dollars = (value: number) => value.toFixed(6);

/** The report as text tables: by status, then by model and tier when known. */
export function formatUsageReport(report: UsageReport, window: string): string {
  if (report.totals.tasks === 0) return `No agent tasks closed in the last ${window} (since ${report.since}).\n`;
  const lines = [`Agent tasks closed in the last ${window} (since ${report.since})`, ''];
  const statusRows = Object.entries(report.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, totals]) => [status, integer(totals.tasks), integer(totals.tokens), dollars(totals.costUsd)]);
  const total = report.totals;
  lines.push(
    ...table(
      ['status', 'tasks', 'tokens', 'cost (USD)'],
      [...statusRows, ['total', integer(total.tasks), integer(total.tokens), dollars(total.costUsd)]],
    ),
  );
  for (const [title, usageLines] of [
    ['model', report.byModel],
    ['tier', report.byTier],
  ] as const) {
    const rows = Object.entries(usageLines)
      .sort(([, a], [, b]) => b.costUsd - a.costUsd)
      .map(([key, line]) => [
        key,
        integer(line.calls),
        integer(line.inputTokens),
        integer(line.cachedInputTokens),
        integer(line.outputTokens),
        dollars(line.costUsd),
      ]);
    if (rows.length === 0) continue;
    lines.push('', ...table([title, 'calls', 'input', 'cached input', 'output', 'cost (USD)'], rows));
  }
  if (report.nestedTasks > 0) {
    lines.push(
      '',
      `${report.nestedTasks} nested agent task(s) are counted in their parent task's totals, not on their own`,
    );
  }
  const { fromTasks, withoutSplit, notRead } = report.breakdown;
  if (withoutSplit + notRead > 0) {
    const completed = fromTasks + withoutSplit + notRead;
    lines.push(
      '',
      `split by model and tier from ${fromTasks} of ${completed} completed tasks` +
        `${withoutSplit > 0 ? `; ${withoutSplit} had none in their result` : ''}` +
        `${notRead > 0 ? `; ${notRead} not read (over the limit)` : ''}; totals above cover every task`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `chassis usage [--since 24h] [--json]`: tasks, tokens and cost of agent tasks closed in
 * the window, from Temporal visibility (the ChassisCostUsd and ChassisTokens search
 * attributes each task keeps current), by status; the split by model and tier comes from
 * completed tasks' results.
 */
export async function usageCommand(config: ChassisConfig, options: UsageCommandOptions = {}): Promise<UsageReport> {
  const window = options.since ?? '24h';
  const lookBackMs = parseSince(window);
  const until = options.now ?? new Date();
  const since = new Date(until.getTime() - lookBackMs);
  const session = await connectTemporal(config);
  try {
    const report = await collectUsage(session.client, {
      since,
      until,
      taskQueue: options.taskQueue,
      maxResults: options.maxResults ?? 200,
    });
    if (options.json) printJson(report);
    else process.stdout.write(formatUsageReport(report, window.trim()));
    return report;
  } finally {
    await session.close();
  }
}
