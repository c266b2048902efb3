import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { CliError } from '../cli-error';
import { printJson } from '../output';
import { connectTemporal } from '../connection';
import { openDataConverter, type ConfigWithCodec } from '../replay/codecs';
import { historyFromJson, historyIdentity } from '../replay/history-json';
import { installQuietRuntime } from '../replay/quiet-runtime';
import {
  CURRENT_WORKFLOWS_PATH,
  divergenceSummary,
  replayWorkflowHistory,
  type ReplayOutcome,
} from '../replay/replay-history';
import { isWorkflowNotFound } from '../workflow-not-found';

/** Options of `chassis replay`. */
export interface ReplayCommandOptions {
  /** A run of the workflow. @default the latest run */
  run?: string;
  json?: boolean;
  /** Replay a history JSON file (`temporal workflow show -o json`, or a fixture) instead of fetching one. */
  history?: string;
  /** Replay against this workflows module instead of the current one (to check a change before deploying it). */
  workflows?: string;
}

/** What `chassis replay --json` prints. */
export interface ReplayReport extends ReplayOutcome {
  /** The SDK's divergence, shortened to the part that says where. */
  divergence?: string;
  workflowsPath: string;
}

async function fetchHistory(config: ConfigWithCodec, workflowId: string, runId?: string): Promise<History> {
  const session = await connectTemporal(config);
  try {
    return await session.client.workflow.getHandle(workflowId, runId).fetchHistory();
  } catch (error) {
    // describe() says WorkflowNotFoundError; fetching history surfaces gRPC NOT_FOUND (5).
    const grpcCode =
      (error as { code?: unknown }).code ?? ((error as Error).cause as { code?: unknown } | undefined)?.code;
    if (isWorkflowNotFound(error) || grpcCode === 5) {
      const run = runId === undefined ? '' : ` run "${runId}"`;
      throw new CliError(`no workflow with id "${workflowId}"${run} in namespace "${config.temporal.namespace}"`);
    }
    throw error;
  } finally {
    await session.close();
  }
}

function readHistoryFile(file: string): History {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read history file ${file}: ${(error as Error).message}`);
  }
  try {
    return historyFromJson(json);
  } catch (error) {
    throw new CliError(`${file} is not a workflow history: ${(error as Error).message}`);
  }
}

function resolveWorkflows(option: string | undefined): string {
  if (option === undefined) return CURRENT_WORKFLOWS_PATH;
  try {
    return require.resolve(path.resolve(option));
  } catch {
    throw new CliError(`--workflows ${option}: no such module (give a workflows file or a folder with index.ts)`);
  }
}

/**
 * `chassis replay <workflowId> [--run <runId>]`: fetches the history and replays it
 * against the current workflow code. Prints `deterministic`, or where the code diverged
 * and exits 1, so a change that would break running workflows is caught before deploy.
 */
export async function replayCommand(
  config: ConfigWithCodec,
  workflowId: string | undefined,
  options: ReplayCommandOptions = {},
): Promise<ReplayReport> {
  if (workflowId === undefined && options.history === undefined) {
    throw new CliError('give a workflow id, or --history <file>');
  }
  const workflowsPath = resolveWorkflows(options.workflows);
  const history =
    options.history !== undefined
      ? readHistoryFile(options.history)
      : await fetchHistory(config, workflowId as string, options.run);
  const id = workflowId ?? historyIdentity(history).workflowId ?? path.basename(options.history ?? 'history', '.json');
  installQuietRuntime();
  const converter = openDataConverter(config);
  let outcome: ReplayOutcome;
  try {
    outcome = await replayWorkflowHistory({
      history,
      workflowId: id,
      workflows: { workflowsPath },
      dataConverter: converter.dataConverter,
    });
  } finally {
    await converter.close();
  }
  const report: ReplayReport = {
    ...outcome,
    ...(outcome.message !== undefined ? { divergence: divergenceSummary(outcome.message) } : {}),
    workflowsPath: path.relative(process.cwd(), workflowsPath) || workflowsPath,
  };
  const what = `${id}${outcome.runId ? ` run ${outcome.runId}` : ''} (${outcome.events} events)`;
  if (options.json) printJson(report);
  else if (outcome.deterministic) {
    process.stdout.write(`deterministic: ${what} replays against ${report.workflowsPath}\n`);
  } else {
    process.stdout.write(
      `NOT deterministic: ${what} diverges from ${report.workflowsPath}\n  ${report.divergence ?? ''}\n` +
        `  A change to running workflows needs patched('change-id'): see "Change a workflow safely" in CONTRIBUTING.md.\n`,
    );
  }
  if (!outcome.deterministic) {
    throw new CliError(
      outcome.failure === 'nondeterminism'
        ? `replay of ${id} is not deterministic`
        : `replay of ${id} failed: ${report.divergence ?? ''}`,
      1,
    );
  }
  return report;
}
