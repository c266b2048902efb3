import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The version of {@link SessionState}; bumped when its shape changes, checked on continue-as-new. */
export const SESSION_STATE_SCHEMA_VERSION = 2;

/** The workflow id of a session. */
export function sessionWorkflowId(sessionId: string): string {
  return `session-${sessionId}`;
}

/** One exchange of a session, kept verbatim while it is recent. */
export interface SessionTurn {
  turn: number;
  requestId: string;
  message: string;
  answer: string;
  status: string;
  taskWorkflowId: string;
}

/** What a session carries across continue-as-new. */
export interface SessionState {
  schemaVersion: number;
  /** Turns so far, across every run of the session. */
  turnCount: number;
  /** Older turns, compressed by a small model (hierarchically: the summary is re-summarized as it grows). */
  summary: string;
  /** The last turn the summary covers, and how many times it was itself re-summarized. */
  summaryThroughTurn: number;
  summaryLevel: number;
  /** Turns not yet folded into the summary. */
  recent: SessionTurn[];
  /** Answers of the last request ids, so a retried `sendMessage` returns the same answer. */
  answered: SessionTurn[];
}

/** Input of `sessionWorkflow`. */
export interface SessionInput {
  sessionId: string;
  /** The session ends (with an episodic summary) after this long without a message. @default 24 hours */
  idleTimeoutMs?: number;
  /**
   * Token budget of a turn's working context (summary + recent turns + the message); older
   * turns are summarized when it is exceeded. @default half the routed small model's window, at most 32,000
   */
  contextMaxTokens?: number;
  /** Continue as new after this many turns in one run, or when the server suggests it. @default 100 */
  turnsPerRun?: number;
  /** Pins every call of the session's tasks to one model. */
  model?: string;
  /** Carried over by continue-as-new. */
  state?: SessionState;
}

/** Input of `sendMessage` / `postMessage`. */
export interface SessionMessage {
  /** Deduplicates retries: the same id gets the same answer and runs once. */
  requestId: string;
  message: string;
}

/** Answer of `sendMessage`. */
export type SessionReply = SessionTurn;

/** How a session ended. */
export interface SessionResult {
  sessionId: string;
  turns: number;
  summary: string;
  endedBecause: 'idle';
}

/** What the `sessionStatus` query returns. */
export interface SessionView {
  sessionId: string;
  turnCount: number;
  summary: string;
  recent: SessionTurn[];
  queued: number;
  runTurns: number;
}

/** Sends a message and returns the answer once it is ready (an update: the caller waits for it). */
export const sendMessageUpdate = defineUpdate<SessionReply, [SessionMessage]>('sendMessage');
/** Sends a message without waiting (fire-and-forget); the answer lands in the session's history. */
export const postMessageSignal = defineSignal<[SessionMessage]>('postMessage');
/** Reads the session's state. */
export const sessionStatusQuery = defineQuery<SessionView>('sessionStatus');
