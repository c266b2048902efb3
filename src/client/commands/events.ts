import type { ChassisConfig } from '../../config/load-config';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { openEventDatabase } from '../event-database';
import { note } from '../output';
import { taskEvents } from '../task-events';
import { isWorkflowNotFound } from '../workflow-not-found';

/**
 * `chassis events <workflowId> [--from <sequence>]`: prints a task's events as NDJSON, from
 * the start or after a sequence already seen, following the task until it ends; the last
 * line is `done`. Works for a running task and a finished one (within the retention).
 */
export async function eventsCommand(
  config: ChassisConfig,
  workflowId: string,
  options: { from?: number },
): Promise<void> {
  const session = await connectTemporal(config);
  const events = openEventDatabase(config);
  try {
    for await (const event of taskEvents(session.client, workflowId, {
      db: events.db,
      fields: events.fields,
      fromSequence: options.from ?? 0,
      onWarning: (message) => note(`warning: ${message}`),
    })) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      if (event.type === 'done' && event.status === 'failed') process.exitCode = 1;
    }
  } catch (error) {
    if (isWorkflowNotFound(error)) {
      throw new CliError(`no workflow with id "${workflowId}" in namespace "${config.temporal.namespace}"`);
    }
    throw error;
  } finally {
    await events.close();
    await session.close();
  }
}
