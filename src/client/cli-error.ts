/**
 * An error the CLI prints as one line, exiting with `exitCode` (2 for bad input or an
 * unreachable server, as the README promises) and never a stack trace.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
