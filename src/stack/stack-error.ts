import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * A local-stack problem the user can act on: the message says what happened and what to
 * do, in one line when possible (plus the tail of a log file when a server failed).
 */
export class StackError extends ChassisError {
  override readonly name = 'StackError';
}

/** True for a {@link StackError} from any copy of this module. */
export const isStackError = markErrorClass(StackError, 'StackError');
