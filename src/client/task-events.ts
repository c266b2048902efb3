import type { FieldEncryption } from '../codec/field-encryption';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { isEventOf, taskStreamIdOf, type PublishedTaskEvent } from '../contracts/task-events';
import { TaskEventLog } from '../events/task-event-log';
import { taskOutcome, type TaskOutcome } from './task-client';

/** The last event of a task: how it ended, the object `chassis run --json` prints, with `type: "done"`. */
export type TaskDoneEvent = { type: 'done' } & TaskOutcome;

/** What {@link taskEvents} yields: the events the task published, then `done`. */
export type TaskEvent = PublishedTaskEvent | TaskDoneEvent;

/** Options of {@link taskEvents}. */
export interface TaskEventsOptions {
  /** The database the workers publish to (`MONGODB_URI`, `MONGODB_DB`). */
  db: Db;
  /** The payload keys' field encryption, when workers seal events (`CHASSIS_PAYLOAD_KEY`). @default plain */
  fields?: FieldEncryption;
  /**
   * Yield the events after this sequence: 0 for all of them, the last sequence handled to
   * pick up where a dropped connection left off. @default 0
   */
  fromSequence?: number;
  /** How often the log is read while the task runs, in milliseconds. @default 150 */
  pollIntervalMs?: number;
  /** Stops following: the iteration ends, without `done`. */
  signal?: AbortSignal;
  /** Told (once) when the log cannot be read; the iteration goes on and still ends with `done`. */
  onWarning?: (message: string) => void;
}

/** A page of the log; a full page is followed by another read at once. */
const PAGE = 500;

/** Waits `milliseconds`, or less when the task ends or the caller stops following. */
async function pause(milliseconds: number, signal: AbortSignal | undefined, ending: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let stop: (() => void) | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, milliseconds);
        stop = resolve;
        signal?.addEventListener('abort', stop, { once: true });
      }),
      ending,
    ]);
  } finally {
    clearTimeout(timer);
    if (stop !== undefined) signal?.removeEventListener('abort', stop);
  }
}

/**
 * Follows an agent task (a task's workflow id, or a session turn's): yields each event the
 * task and its subtasks publish, in order, as the workers publish them, and ends with `done`
 * once the task has ended, after every event it published. Works for a task that is
 * running, or that has finished (within the log's retention): a late caller gets everything
 * from `fromSequence` on, exactly once.
 *
 * ```ts
 * for await (const event of taskEvents(client, workflowId, { db })) {
 *   if (event.type === 'token') process.stdout.write(event.text);
 *   if (event.type === 'done') console.log(event.status, event.answer);
 * }
 * ```
 *
 * A model call that was retried (a worker died mid-stream) starts again with a `step` event
 * of a higher `attempt`: drop the earlier attempt's tokens (see docs/streaming.md).
 *
 * @throws WorkflowNotFoundError when no workflow has this id
 */
export async function* taskEvents(
  client: Client,
  workflowId: string,
  options: TaskEventsOptions,
): AsyncGenerator<TaskEvent, void, undefined> {
  const log = new TaskEventLog(options.db, { fields: options.fields });
  const streamId = taskStreamIdOf(workflowId);
  const pollIntervalMs = options.pollIntervalMs ?? 150;
  const handle = client.workflow.getHandle(workflowId);
  const { runId } = await handle.describe();
  let ended: { outcome: TaskOutcome } | { error: unknown } | undefined;
  const ending = taskOutcome(handle, runId).then(
    (outcome) => (ended = { outcome }),
    (error: unknown) => (ended = { error }),
  );
  let cursor = options.fromSequence ?? 0;
  let warned = false;
  for (;;) {
    if (options.signal?.aborted === true) return;
    // Taken before the read: a task that had ended by then had published all its events.
    const finished = ended;
    let page: PublishedTaskEvent[] = [];
    try {
      page = await log.readAfter(streamId, cursor, PAGE);
    } catch (error) {
      if (!warned)
        options.onWarning?.(`task events cannot be read (${(error as Error).message}); waiting for the result`);
      warned = true;
    }
    for (const event of page) {
      cursor = event.sequence;
      if (isEventOf(event, workflowId)) yield event;
    }
    if (page.length === PAGE) continue;
    if (finished !== undefined) {
      if ('error' in finished) throw finished.error;
      yield { type: 'done', ...finished.outcome };
      return;
    }
    await pause(pollIntervalMs, options.signal, ending);
  }
}
