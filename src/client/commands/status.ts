import { WorkflowNotFoundError } from '@temporalio/client';
import type { ChassisConfig } from '../../config/load-config';
import type { AgentTaskResult, AgentTaskStatusView } from '../../contracts/agent-task';
import { CliError } from '../cli-error';
import { connectTemporal, workflowUiUrl } from '../connection';
import { printJson } from '../output';
import { queryStatus } from '../task-client';

/** What `chassis status --json` prints. */
export interface StatusReport {
  workflowId: string;
  runId: string;
  executionStatus: string;
  progress: AgentTaskStatusView | null;
  result: AgentTaskResult | null;
  uiUrl: string;
}

/** `chassis status <workflowId>`: the execution's state, its progress and, when closed, its result. */
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
      if (error instanceof WorkflowNotFoundError || (error as Error).name === 'WorkflowNotFoundError') {
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
      const lines = [`${workflowId}  ${executionStatus}`, `  ${report.uiUrl}`];
      if (progress) lines.push(`  phase: ${progress.phase}, step ${progress.step}/${progress.maxSteps}`);
      if (result) {
        lines.push(`  result: ${result.status}, ${result.steps.length} steps, $${result.usage.costUsd.toFixed(6)}`);
        lines.push(`  answer: ${result.answer}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return report;
  } finally {
    await session.close();
  }
}
