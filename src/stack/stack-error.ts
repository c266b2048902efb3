/**
 * A local-stack problem the user can act on: the message says what happened and what to
 * do, in one line when possible (plus the tail of a log file when a server failed).
 */
export class StackError extends Error {
  override readonly name = 'StackError';
}
