import type { FieldEncryption } from '../codec/field-encryption';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { sessionWorkflowId, type SessionReply } from '../contracts/session';
import { taskIdOf, taskStreamIdOf, type PublishedTaskEvent } from '../contracts/task-events';
import { TaskEventLog } from '../events/task-event-log';
import { sendToSession, type SessionStartOptions } from './session-client';

/** The last event of a session message: the object `chassis send --json` prints, with `type: "done"`. */
export type SessionDoneEvent = { type: 'done'; sessionId: string } & SessionReply;

/** What {@link sessionMessageEvents} yields: the turn's events, then `done`. */
export type SessionMessageEvent = PublishedTaskEvent | SessionDoneEvent;

/** Options of {@link sessionMessageEvents}. */
export interface SessionMessageEventsOptions extends SessionStartOptions {
  /** The database the workers publish to. */
  db: Db;
  /** The payload keys' field encryption, when workers seal events (`CHASSIS_PAYLOAD_KEY`). @default plain */
  fields?: FieldEncryption;
  /** Deduplicates retries of the same message. @default a new id */
  requestId?: string;
  /** How often the log is read while the turn runs, in milliseconds. @default 150 */
  pollIntervalMs?: number;
  /** Told (once) when the log cannot be read; the answer still comes. */
  onWarning?: (message: string) => void;
}

/** A page of the log; a full page is followed by another read at once. */
const PAGE = 500;

/**
 * Sends a message to a session (starting it if needed, as `sendToSession` does) and yields
 * the events of the turn that answers it as they are published, then `done` with the reply.
 * Turns of a session run one at a time; the turn followed is the first one that publishes
 * after the message was sent. When several clients send to one session at once, that may be
 * another client's turn: `done` always carries this message's own answer.
 *
 * @throws InvalidSessionMessageError for an empty message, before anything is sent
 */
export async function* sessionMessageEvents(
  client: Client,
  sessionId: string,
  message: string,
  options: SessionMessageEventsOptions,
): AsyncGenerator<SessionMessageEvent, void, undefined> {
  const log = new TaskEventLog(options.db, { fields: options.fields });
  const session = sessionWorkflowId(sessionId);
  const streamId = taskStreamIdOf(session);
  let warned = false;
  const warn = (error: unknown) => {
    if (!warned)
      options.onWarning?.(`session events cannot be read (${(error as Error).message}); waiting for the answer`);
    warned = true;
  };
  // Only what this message causes: events already in the session's stream are older turns'.
  let cursor = await log.lastSequence(streamId).catch((error: unknown) => {
    warn(error);
    return 0;
  });
  let ended: { reply: SessionReply } | { error: unknown } | undefined;
  const ending = sendToSession(client, sessionId, message, options).then(
    (reply) => (ended = { reply }),
    (error: unknown) => (ended = { error }),
  );
  let turn: string | undefined;
  for (;;) {
    const finished = ended;
    if (finished !== undefined && 'reply' in finished) turn ??= finished.reply.taskWorkflowId;
    let page: PublishedTaskEvent[] = [];
    try {
      page = await log.readAfter(streamId, cursor, PAGE);
    } catch (error) {
      warn(error);
    }
    for (const event of page) {
      cursor = event.sequence;
      const task = taskIdOf(event.workflowId);
      // The session's own calls (summaries) belong to no turn.
      if (task === session) continue;
      turn ??= task;
      if (task === turn) yield event;
    }
    if (page.length === PAGE) continue;
    if (finished !== undefined) {
      if ('error' in finished) throw finished.error;
      yield { type: 'done', sessionId, ...finished.reply };
      return;
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 150)), ending]);
  }
}
