import type { WorkflowExecutionInfo } from '@temporalio/client';
import { ChassisCostUsd, ChassisSession, ChassisStatus, ChassisTokens } from '../../contracts/search-attributes';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { printJson } from '../output';
import type { ConfigWithCodec } from '../replay/codecs';
import { buildListQuery, type ListFilters } from '../replay/list-query';

/** Options of `chassis list`. */
export interface ListCommandOptions extends ListFilters {
  json?: boolean;
  /** @default 50 */
  limit?: number;
  /**
   * Also list runs a later run of the same workflow replaced (a failed run that
   * `chassis retry` reset or restarted). @default false
   */
  allRuns?: boolean;
}

/** One task as `chassis list --json` prints it. */
export interface ListedTask {
  workflowId: string;
  runId: string;
  /** The task's own status (`ChassisStatus`), else the execution's, lowercased. */
  status: string;
  executionStatus: string;
  session: string | null;
  costUsd: number | null;
  tokens: number | null;
  startTime: string;
  closeTime: string | null;
  taskQueue: string;
  /** A later run of the same workflow id exists (the task was retried). */
  superseded: boolean;
}

function toListed(info: WorkflowExecutionInfo, superseded: boolean): ListedTask {
  const attributes = info.typedSearchAttributes;
  const executionStatus = info.status.name;
  // A run that timed out or was terminated never published its end: its execution status says more.
  const published = attributes.get(ChassisStatus);
  const closedByServer = ['TIMED_OUT', 'TERMINATED'].includes(executionStatus);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status: published !== undefined && !closedByServer ? published : executionStatus.toLowerCase(),
    executionStatus,
    session: attributes.get(ChassisSession) ?? null,
    costUsd: attributes.get(ChassisCostUsd) ?? null,
    tokens: attributes.get(ChassisTokens) ?? null,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
    taskQueue: info.taskQueue,
    superseded,
  };
}

/**
 * `chassis list [--status failed] [--session <id>] [--since 24h] [--json]`: agent tasks
 * found by a visibility query over the Chassis search attributes, newest first. The same
 * query works in the Temporal UI's search box; `--json` prints it too.
 */
export async function listCommand(
  config: ConfigWithCodec,
  options: ListCommandOptions = {},
): Promise<{ query: string; tasks: ListedTask[] }> {
  const query = buildListQuery(options);
  const limit = options.limit ?? 50;
  const session = await connectTemporal(config);
  const tasks: ListedTask[] = [];
  // The current run of each workflow id seen, so runs a retry replaced can be told apart.
  const currentRuns = new Map<string, Promise<string | undefined>>();
  const currentRunOf = (workflowId: string) => {
    let run = currentRuns.get(workflowId);
    if (run === undefined) {
      run = session.client.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          (description) => description.runId,
          () => undefined,
        );
      currentRuns.set(workflowId, run);
    }
    return run;
  };
  try {
    for await (const info of session.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      const current = await currentRunOf(info.workflowId);
      const superseded = current !== undefined && current !== info.runId;
      if (superseded && !options.allRuns) continue;
      tasks.push(toListed(info, superseded));
      if (tasks.length >= limit) break;
    }
  } catch (error) {
    const message = (error as Error).message;
    if (/search attribute|invalid query|unknown/i.test(message)) {
      throw new CliError(
        `the server refused the query (${message.split('\n')[0]}): run "chassis dev up" to register the Chassis search attributes`,
      );
    }
    throw error;
  } finally {
    await session.close();
  }
  if (options.json) printJson({ query, tasks });
  else if (tasks.length === 0) process.stdout.write(`no tasks match: ${query}\n`);
  else {
    const rows = [
      ['WORKFLOW ID', 'STATUS', 'COST', 'TOKENS', 'STARTED'],
      ...tasks.map((task) => [
        task.workflowId,
        task.status,
        task.costUsd === null ? '-' : `$${task.costUsd.toFixed(4)}`,
        task.tokens === null ? '-' : String(task.tokens),
        task.startTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      ]),
    ];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
    // Text columns left-aligned, numbers right-aligned.
    const table = rows
      .map((row) =>
        row
          .map((cell, column) =>
            [2, 3].includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
          )
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
    process.stdout.write(`${table}\n`);
  }
  return { query, tasks };
}
