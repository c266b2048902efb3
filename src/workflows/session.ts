import { ApplicationFailure, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  postMessageSignal,
  sendMessageUpdate,
  sessionMessageProblem,
  sessionStatusQuery,
  type SessionInput,
  type SessionMessage,
  type SessionResult,
} from '../contracts/session';
import { FailureType } from '../contracts/failure-types';
import { SessionEntity } from './session/session-entity';

/** The update's validator: a bad message is refused before it is accepted (nothing in history). */
function rejectInvalidMessage(message: SessionMessage): void {
  const problem = sessionMessageProblem(message);
  if (problem !== undefined) throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message: problem });
}

/**
 * A session: a long-lived entity workflow, one per session id. Each message runs as an
 * agent task (a child workflow) with the session's working context — the running summary
 * and the recent turns. Turns run one at a time, in order. The session waits durably
 * between messages, ends after its idle time with a summary, and continues as new when
 * its history grows, carrying its state (versioned), so thousands of turns never hit
 * history limits. The state and handlers live in {@link SessionEntity}; this is the loop.
 */
export async function sessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const session = new SessionEntity(input);
  setHandler(sessionStatusQuery, () => session.view());
  setHandler(sendMessageUpdate, (message) => session.send(message), { validator: rejectInvalidMessage });
  setHandler(postMessageSignal, (message) => session.post(message));

  for (;;) {
    const woke = await session.waitForWork();
    session.startQueued();
    if (session.continueAsNewDue()) {
      await session.settle();
      await continueAsNew<typeof sessionWorkflow>(session.carryOver());
    }
    if (!woke && session.idle()) break;
  }
  return session.end();
}
