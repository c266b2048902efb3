import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ChassisSession } from '../contracts/search-attributes';
import { sendMessageUpdate, sessionWorkflowId, type SessionInput, type SessionReply } from '../contracts/session';
import type { sessionWorkflow } from '../workflows/session';

/** Options of a session the client may start. */
export interface SessionStartOptions {
  taskQueue: string;
  input?: Omit<SessionInput, 'sessionId' | 'state'>;
}

/**
 * Sends one message to a session and waits for the answer, starting the session if it is
 * not running (update-with-start: one round trip, no race between two first messages).
 */
export async function sendToSession(
  client: Client,
  sessionId: string,
  message: string,
  options: SessionStartOptions & { requestId?: string },
): Promise<SessionReply> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof sessionWorkflow>('sessionWorkflow', {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: options.taskQueue,
    args: [{ sessionId, ...options.input }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Session ${sessionId}`,
    typedSearchAttributes: [{ key: ChassisSession, value: sessionId }],
  });
  return client.workflow.executeUpdateWithStart(sendMessageUpdate, {
    args: [{ requestId: options.requestId ?? randomUUID(), message }],
    startWorkflowOperation,
  });
}
