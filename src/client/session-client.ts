import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ChassisSession } from '../contracts/search-attributes';
import {
  postMessageSignal,
  sendMessageUpdate,
  sessionMessageProblem,
  sessionWorkflowId,
  type SessionInput,
  type SessionMessage,
  type SessionReply,
} from '../contracts/session';
import type { sessionWorkflow } from '../workflows/session';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/** Options of a session the client may start. */
export interface SessionStartOptions {
  taskQueue: string;
  input?: Omit<SessionInput, 'sessionId' | 'state'>;
}

/** A message the client refused to send (empty text, no request id); nothing reached the server. */
export class InvalidSessionMessageError extends ChassisError {
  override readonly name = 'InvalidSessionMessageError';
}

/** True for an {@link InvalidSessionMessageError} from any copy of this module. */
export const isInvalidSessionMessageError = markErrorClass(InvalidSessionMessageError, 'InvalidSessionMessageError');

function checkedMessage(message: string, requestId: string | undefined): SessionMessage {
  const candidate = { requestId: requestId ?? randomUUID(), message };
  const problem = sessionMessageProblem(candidate);
  if (problem !== undefined) throw new InvalidSessionMessageError(problem);
  return candidate;
}

function startOptions(sessionId: string, options: SessionStartOptions) {
  return {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: options.taskQueue,
    args: [{ sessionId, ...options.input }] as [SessionInput],
    staticSummary: `Session ${sessionId}`,
    typedSearchAttributes: [{ key: ChassisSession, value: sessionId }],
  };
}

/**
 * Sends one message to a session and waits for the answer, starting the session if it is
 * not running (update-with-start: one round trip, no race between two first messages).
 *
 * @throws InvalidSessionMessageError for an empty message, before anything is sent
 */
export async function sendToSession(
  client: Client,
  sessionId: string,
  message: string,
  options: SessionStartOptions & { requestId?: string },
): Promise<SessionReply> {
  const checked = checkedMessage(message, options.requestId);
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof sessionWorkflow>('sessionWorkflow', {
    ...startOptions(sessionId, options),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return client.workflow.executeUpdateWithStart(sendMessageUpdate, { args: [checked], startWorkflowOperation });
}

/**
 * Posts one message to a session without waiting for the answer (signal-with-start); the
 * answer lands in the session's history. Checked here first: a signal cannot be refused by
 * the session, which can only drop an invalid one.
 *
 * @returns the request id of the posted message
 * @throws InvalidSessionMessageError for an empty message, before anything is sent
 */
export async function postToSession(
  client: Client,
  sessionId: string,
  message: string,
  options: SessionStartOptions & { requestId?: string },
): Promise<{ requestId: string }> {
  const checked = checkedMessage(message, options.requestId);
  await client.workflow.signalWithStart<typeof sessionWorkflow, [SessionMessage]>('sessionWorkflow', {
    ...startOptions(sessionId, options),
    signal: postMessageSignal,
    signalArgs: [checked],
  });
  return { requestId: checked.requestId };
}
