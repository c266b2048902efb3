/**
 * The `chassis` entry point for the operations tests: the real program from `cli.ts`,
 * plus `replay`, `retry`, `list` and `codec-server` when `cli.ts` does not register them
 * yet. Errors are reported as `cli.ts` does: one line on stderr, exit 2 for bad input.
 *
 *     node --require tsx/cjs test/client/operations-cli.ts list --json
 */
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/client/cli';
import { CliError } from '../../src/client/cli-error';
import { registerOperationCommands } from '../../src/client/replay/register-commands';
import { loadConfig } from '../../src/config/load-config';

async function main(): Promise<void> {
  const program = buildProgram();
  if (!program.commands.some((command) => command.name() === 'replay')) {
    registerOperationCommands(program, () => loadConfig());
  }
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`chassis: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : (error as Error).name === 'ConfigError' ? 2 : 1;
  }
}

void main();
