import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { ChassisSession } from '../../contracts/search-attributes';
import { CliError } from '../cli-error';
import { workflowUiUrl } from '../connection';
import { note, printJson } from '../output';
import { connectTemporalWithCodecs, type ConfigWithCodec } from '../replay/codecs';
import { findResetPoint } from '../replay/reset-point';
import { rootCauseMessage } from '../../shared/root-cause';
import { isWorkflowNotFound } from '../workflow-not-found';

/** Options of `chassis retry`. */
export interface RetryCommandOptions {
  /** Skip the reset: start a new run with the same input. */
  newRun?: boolean;
  /** Wait for the new run to finish and print how it ended. */
  wait?: boolean;
  json?: boolean;
}

/** What `chassis retry --json` prints. */
export interface RetryReport {
  workflowId: string;
  failedRunId: string;
  /** `reset`: the failed run was reset to its last good point; `new-run`: started afresh with the same input. */
  method: 'reset' | 'new-run';
  newRunId: string;
  /** The `WORKFLOW_TASK_COMPLETED` event the run was reset to. */
  resetEventId?: number;
  /** Activities completed before the reset point, kept and not run again. */
  keptActivities?: number;
  /** Why this method, in plain words. */
  detail: string;
  uiUrl: string;
  /** With `--wait`: how the new run ended. */
  outcome?: { executionStatus: string; status?: string; error?: string };
}

const RETRYABLE = new Set(['FAILED', 'TIMED_OUT']);

async function resetRun(
  client: Client,
  workflowId: string,
  runId: string,
  eventId: number,
  reason: string,
): Promise<string> {
  // fromObject turns the event id into the int64 (Long) the request carries.
  const request = temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest.fromObject({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId },
    workflowTaskFinishEventId: eventId,
    reason,
    requestId: randomUUID(),
    identity: client.options.identity,
  });
  const response = await client.workflowService.resetWorkflowExecution(request);
  return response.runId;
}

/** Starts the workflow again with the input of the failed run and a memo linking to it. */
async function startNewRun(client: Client, workflowId: string, runId: string, history: History): Promise<string> {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started?.workflowType?.name || !started.taskQueue?.name) {
    throw new CliError(`the history of ${workflowId} run ${runId} has no start event: cannot start it again`);
  }
  const args = await decodeArrayFromPayloads(client.options.loadedDataConverter, started.input?.payloads);
  const description = await client.workflow.getHandle(workflowId, runId).describe();
  const session = description.typedSearchAttributes.get(ChassisSession);
  const staticSummary = await description.staticSummary();
  const handle = await client.workflow.start(started.workflowType.name, {
    taskQueue: started.taskQueue.name,
    workflowId,
    args,
    memo: { retryOf: `${workflowId}/${runId}` },
    ...(session !== undefined ? { typedSearchAttributes: [{ key: ChassisSession, value: session }] } : {}),
    ...(staticSummary !== undefined ? { staticSummary: `Retry: ${staticSummary}` } : {}),
  });
  return handle.firstExecutionRunId;
}

async function waitForRun(client: Client, workflowId: string, runId: string): Promise<RetryReport['outcome']> {
  // A handle on the new run (not the chain) so a later reset of it is not followed.
  const handle = client.workflow.getHandle(workflowId, runId, { followRuns: false });
  try {
    const result = (await handle.result()) as { status?: string } | undefined;
    return { executionStatus: 'COMPLETED', ...(result?.status !== undefined ? { status: result.status } : {}) };
  } catch (error) {
    const description = await handle.describe();
    return { executionStatus: description.status.name, error: rootCauseMessage(error) };
  }
}

/**
 * `chassis retry <workflowId>`: re-runs a failed or timed-out task. First choice is the
 * server's reset to the last good point (the workflow task that scheduled the call that
 * failed), so completed model and tool calls are kept and not paid for again; when the
 * run cannot be reset, a new run starts with the same input and `memo.retryOf` pointing
 * at the failed one.
 */
export async function retryCommand(
  config: ConfigWithCodec,
  workflowId: string,
  options: RetryCommandOptions = {},
): Promise<RetryReport> {
  const session = await connectTemporalWithCodecs(config);
  try {
    const client = session.client;
    let description;
    try {
      description = await client.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (isWorkflowNotFound(error)) {
        throw new CliError(`no workflow with id "${workflowId}" in namespace "${config.temporal.namespace}"`);
      }
      throw error;
    }
    const failedRunId = description.runId;
    const status = description.status.name;
    if (!RETRYABLE.has(status)) {
      throw new CliError(
        `${workflowId} is ${status.toLowerCase()}: only failed or timed-out tasks can be retried (find them with "chassis list --status failed,timed_out")`,
      );
    }
    const history = await client.workflow.getHandle(workflowId, failedRunId).fetchHistory();
    const point = options.newRun ? undefined : findResetPoint(history);
    let report: RetryReport;
    let resetProblem = options.newRun
      ? 'a new run was asked for (--new-run)'
      : 'the run has no completed workflow task';
    if (point !== undefined) {
      try {
        const newRunId = await resetRun(
          client,
          workflowId,
          failedRunId,
          point.eventId,
          `chassis retry: reset to ${point.reason}`,
        );
        report = {
          workflowId,
          failedRunId,
          method: 'reset',
          newRunId,
          resetEventId: point.eventId,
          keptActivities: point.keptActivities,
          detail: `reset to event ${point.eventId}, ${point.reason}; ${point.keptActivities} completed activities are kept, not run again`,
          uiUrl: workflowUiUrl(config, workflowId, newRunId),
        };
      } catch (error) {
        resetProblem = `the server refused the reset: ${(error as Error).message.split('\n')[0]}`;
      }
    }
    report ??= await (async (): Promise<RetryReport> => {
      const newRunId = await startNewRun(client, workflowId, failedRunId, history);
      return {
        workflowId,
        failedRunId,
        method: 'new-run',
        newRunId,
        detail: `started a new run with the same input (${resetProblem}); memo retryOf=${workflowId}/${failedRunId}`,
        uiUrl: workflowUiUrl(config, workflowId, newRunId),
      };
    })();
    if (!options.json) {
      process.stdout.write(`${workflowId}: ${report.detail}\nnew run ${report.newRunId}\n${report.uiUrl}\n`);
    }
    if (options.wait) {
      if (!options.json) note('waiting for the new run to finish…');
      report.outcome = await waitForRun(client, workflowId, report.newRunId);
      if (!options.json) {
        const ended = report.outcome?.status ?? report.outcome?.executionStatus.toLowerCase();
        process.stdout.write(`new run ended: ${ended}${report.outcome?.error ? ` (${report.outcome.error})` : ''}\n`);
      }
    }
    if (options.json) printJson(report);
    return report;
  } finally {
    await session.close();
  }
}
