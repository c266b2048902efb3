import type { Client } from '@temporalio/client';
import type { ChassisConfig } from '../../config/load-config';
import type { AgentTaskStatusView } from '../../contracts/agent-task';
import { CliError } from '../cli-error';
import { connectTemporal, workflowUiUrl } from '../connection';
import { note, printJson } from '../output';
import { startTask, waitForPollers, waitForTask, type TaskOutcome } from '../task-client';

/** Options of `chassis run`. */
export interface RunOptions {
  json?: boolean;
  /** commander turns `--no-wait` into `wait: false`. */
  wait?: boolean;
  model?: string;
  maxSteps?: number;
  /** Skip the planner (`--direct`). */
  direct?: boolean;
  /** How long to wait for a worker to show up before saying none polls. @default 2000 */
  pollerGraceMs?: number;
  /** A client on a worker in this process (the demo): the task starts eagerly through it. */
  eagerClient?: Client;
}

function describeProgress(view: AgentTaskStatusView): string {
  const what = view.phase === 'calling-tools' ? 'calling tools' : view.phase;
  return `  … ${what} (step ${view.step}/${view.maxSteps}, ${view.usage.inputTokens + view.usage.outputTokens} tokens)`;
}

/** `chassis run "<goal>"`: starts a task and, unless `--no-wait`, waits and prints its answer. */
export async function runCommand(config: ChassisConfig, goal: string, options: RunOptions): Promise<TaskOutcome> {
  if (goal.trim() === '')
    throw new CliError('the goal is empty: pass what the agent should do, e.g. chassis run "What is 2+2?"');
  const session = await connectTemporal(config);
  try {
    const wait = options.wait !== false;
    const polling = await waitForPollers(session.client, config.temporal.taskQueue, options.pollerGraceMs ?? 2_000);
    if (!polling && wait) {
      throw new CliError(
        `no worker is polling task queue "${config.temporal.taskQueue}": start one with "npx chassis worker" (or use --no-wait to queue the task)`,
      );
    }
    const handle = await startTask(
      options.eagerClient ?? session.client,
      {
        goal,
        model: options.model ?? config.models.pinned,
        maxSteps: options.maxSteps ?? config.agent.maxSteps,
        planning: options.direct ? 'direct' : 'auto',
      },
      {
        taskQueue: config.temporal.taskQueue,
        encrypted: config.codec.keyring !== undefined,
        eagerStart: options.eagerClient !== undefined,
      },
    );
    const link = workflowUiUrl(config, handle.workflowId, handle.firstExecutionRunId);
    if (!wait) {
      const outcome: TaskOutcome = {
        workflowId: handle.workflowId,
        runId: handle.firstExecutionRunId,
        status: 'running',
        answer: null,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        subtasks: [],
      };
      if (!polling)
        note(`warning: no worker is polling "${config.temporal.taskQueue}" yet; the task waits until one starts`);
      if (options.json) printJson(outcome);
      else note(`started ${handle.workflowId}\n  ${link}`);
      return outcome;
    }
    if (!options.json) note(`started ${handle.workflowId}\n  ${link}`);
    const outcome = await waitForTask(handle, (view) => {
      if (!options.json) note(describeProgress(view));
    });
    if (options.json) printJson(outcome);
    else if (outcome.status === 'failed') note(`task failed: ${outcome.error}`);
    else {
      process.stdout.write(`${outcome.answer}\n`);
      for (const unknown of outcome.unknownOutcomes ?? []) {
        note(
          `warning: outcome unknown (may or may not have taken effect, not repeated): ${unknown.tool} call ${unknown.callId} at step ${unknown.step}, idempotency key ${unknown.idempotencyKey}`,
        );
      }
      note(
        `status: ${outcome.status} · ${outcome.usage.inputTokens} in / ${outcome.usage.outputTokens} out tokens · $${outcome.usage.costUsd.toFixed(6)}`,
      );
    }
    if (outcome.status === 'failed') process.exitCode = 1;
    return outcome;
  } finally {
    await session.close();
  }
}
