import type { ChassisConfig } from '../../config/load-config';
import type { AgentTaskResult, AgentTaskStatusView } from '../../contracts/agent-task';
import { CliError } from '../cli-error';
import { connectTemporal, workflowUiUrl } from '../connection';
import { formatTaskTree } from '../format-task-tree';
import { printJson } from '../output';
import { queryStatus } from '../task-client';
import { isWorkflowNotFound } from '../workflow-not-found';

/** What `chassis status --json` prints. */
export interface StatusReport {
  workflowId: string;
  runId: string;
  executionStatus: string;
  progress: AgentTaskStatusView | null;
  result: AgentTaskResult | null;
  uiUrl: string;
}

/** `chassis status <workflowId>`: the execution's state, its progress and, when closed, its result, as a tree. */
export async function statusCommand(
  config: ChassisConfig,
  workflowId: string,
  options: { json?: boolean },
): Promise<StatusReport> {
  const session = await connectTemporal(config);
  try {
    const handle = session.client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (isWorkflowNotFound(error)) {
        throw new CliError(`no workflow with id "${workflowId}" in namespace "${config.temporal.namespace}"`);
      }
      throw error;
    }
    const executionStatus = description.status.name;
    // A query needs a worker; a closed workflow's result is read from history instead.
    const progress = executionStatus === 'RUNNING' ? await queryStatus(handle).catch(() => null) : null;
    const result =
      executionStatus === 'COMPLETED' ? ((await handle.result().catch(() => null)) as AgentTaskResult | null) : null;
    const report: StatusReport = {
      workflowId,
      runId: description.runId,
      executionStatus,
      progress,
      result,
      uiUrl: workflowUiUrl(config, workflowId, description.runId),
    };
    if (options.json) printJson(report);
    else {
      const tree = formatTaskTree({
        workflowId,
        executionStatus,
        phase: progress?.phase,
        taskStatus: result?.status,
        plan: result?.plan ?? progress?.plan ?? null,
        subtasks: result?.subtasks ?? progress?.subtasks ?? [],
        usage: result?.usage ?? progress?.usage,
        answer: result?.answer,
        pending: progress?.pending,
        uiUrl: report.uiUrl,
      });
      process.stdout.write(`${tree}\n`);
    }
    return report;
  } finally {
    await session.close();
  }
}
