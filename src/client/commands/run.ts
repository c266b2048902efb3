import type { Client } from '@temporalio/client';
import type { ChassisConfig } from '../../config/load-config';
import type { AgentTaskStatusView } from '../../contracts/agent-task';
import { totalTokens } from '../../shared/usage';
import { CliError } from '../cli-error';
import { connectTemporal, workflowUiUrl } from '../connection';
import { note, printJson } from '../output';
import { openEventDatabase } from '../event-database';
import { LivePrinter } from '../live-printer';
import { startTask, waitForPollers, waitForTask, type TaskOutcome } from '../task-client';
import { taskEvents } from '../task-events';

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
  /** Print the task's events as NDJSON, ending with the `--json` object as `done` (`--events`). */
  events?: boolean;
  /**
   * Show the answer as it is generated and the steps as they happen.
   * @default when stdout is a terminal and neither `--json` nor `--events` is given
   */
  live?: boolean;
  /** A client on a worker in this process (the demo): the task starts eagerly through it. */
  eagerClient?: Client;
}

function describeProgress(view: AgentTaskStatusView): string {
  const what = view.phase === 'calling-tools' ? 'calling tools' : view.phase;
  return `  … ${what} (step ${view.step}/${view.maxSteps}, ${totalTokens(view.usage)} tokens)`;
}

/** `chassis run "<goal>"`: starts a task and, unless `--no-wait`, waits and prints its answer. */
export async function runCommand(config: ChassisConfig, goal: string, options: RunOptions): Promise<TaskOutcome> {
  if (goal.trim() === '')
    throw new CliError('the goal is empty: pass what the agent should do, e.g. chassis run "What is 2+2?"');
  if (options.events && options.json) throw new CliError('--events and --json both choose the output: pick one');
  if (options.events && options.wait === false)
    throw new CliError('--events follows the task until it ends: it cannot go with --no-wait');
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
        ...(config.memory.namespace === undefined ? {} : { memoryNamespace: config.memory.namespace }),
      },
      {
        taskQueue: config.temporal.taskQueue,
        encrypted: config.codec.payloadKeys !== undefined,
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
    if (!options.json && !options.events) note(`started ${handle.workflowId}\n  ${link}`);
    const live = !options.json && !options.events && (options.live ?? process.stdout.isTTY === true);
    const outcome =
      options.events || live
        ? await followTask(config, session.client, handle.workflowId, options.events ? 'events' : 'live')
        : await waitForTask(handle, (view) => {
            if (!options.json) note(describeProgress(view));
          });
    if (options.json) printJson(outcome);
    else if (options.events) {
      // The last line, `done`, said how it ended.
    } else if (outcome.status === 'failed') note(`task failed: ${outcome.error}`);
    else {
      if (!live) process.stdout.write(`${outcome.answer}\n`);
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

/**
 * Follows a task's events until it ends: as NDJSON lines on stdout (`--events`), or shown
 * live on a terminal (the answer as it is generated on stdout, the steps on stderr).
 */
async function followTask(
  config: ChassisConfig,
  client: Client,
  workflowId: string,
  mode: 'events' | 'live',
): Promise<TaskOutcome> {
  const events = openEventDatabase(config);
  const printer = new LivePrinter({ text: (text) => process.stdout.write(text), line: note });
  try {
    for await (const event of taskEvents(client, workflowId, {
      db: events.db,
      fields: events.fields,
      onWarning: (message) => note(`warning: ${message}`),
    })) {
      if (mode === 'events') process.stdout.write(`${JSON.stringify(event)}\n`);
      if (event.type === 'done') {
        const { type, ...outcome } = event;
        void type;
        if (mode === 'live') printer.finish(outcome.status === 'failed' ? null : outcome.answer);
        return outcome;
      }
      if (mode === 'live') printer.handle(event);
    }
    throw new Error(`the events of ${workflowId} ended before the task did`);
  } finally {
    await events.close();
  }
}
