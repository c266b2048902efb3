import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * An error the CLI prints as one line, exiting with `exitCode` (2 for bad input or an
 * unreachable server, as the README promises) and never a stack trace.
 */
export class CliError extends ChassisError {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** True for a {@link CliError} from any copy of this module. */
export const isCliError = markErrorClass(CliError, 'CliError');
