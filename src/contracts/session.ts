import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * The version of {@link SessionState}; bumped when its shape changes. A session continued
 * as new from an older version is migrated on start (`migrateSessionState`).
 * 1: turns, summary, recent, answered. 2: + summaryThroughTurn, summaryLevel. 3: + droppedMessages.
 */
export const SESSION_STATE_SCHEMA_VERSION = 3;

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
  /** Posted messages (signals) the session dropped because they were invalid, across every run. */
  droppedMessages: number;
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
  /** The memory namespace the session's tasks recall from and remember into. @default "default" */
  memoryNamespace?: string;
  /** Carried over by continue-as-new. */
  state?: SessionState;
}

/** Input of `sendMessage` / `postMessage`. */
export interface SessionMessage {
  /** Deduplicates retries: the same id gets the same answer and runs once. */
  requestId: string;
  message: string;
}

/**
 * Why a session message cannot be accepted, or undefined when it can. The client checks it
 * before sending; the session checks it again, since a signal cannot be refused on arrival.
 */
export function sessionMessageProblem(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'the message must be an object {requestId, message}';
  const { requestId, message: text } = message as Partial<Record<keyof SessionMessage, unknown>>;
  if (typeof text !== 'string' || text.trim() === '') return 'the message is empty';
  if (typeof requestId !== 'string' || requestId === '') return 'requestId is missing';
  return undefined;
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
  /** Messages waiting for their turn in this run. */
  queued: number;
  /** Turns answered in this run (the session continues as new after `turnsPerRun`). */
  runTurns: number;
  /** Posted messages dropped as invalid, across every run. */
  droppedMessages: number;
}

/** Sends a message and returns the answer once it is ready (an update: the caller waits for it). */
export const sendMessageUpdate = defineUpdate<SessionReply, [SessionMessage]>('sendMessage');
/**
 * Sends a message without waiting (fire-and-forget); the answer lands in the session's
 * history. Signals have no validator: an invalid one is dropped, logged and counted in
 * `droppedMessages`, and the session goes on.
 */
export const postMessageSignal = defineSignal<[SessionMessage]>('postMessage');
/** Reads the session's state. */
export const sessionStatusQuery = defineQuery<SessionView>('sessionStatus');
