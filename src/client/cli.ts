import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/config-error';
import { loadConfig, type ChassisConfig } from '../config/load-config';
import { CliError } from './cli-error';
import type * as DevCommandModule from './commands/dev';
import type * as WorkerCommandModule from './commands/worker';
import type * as RunCommandModule from './commands/run';
import type * as StatusCommandModule from './commands/status';
import type * as DemoCommandModule from './commands/demo';
import type * as MockLlmCommandModule from './commands/mock-llm';
import type * as BenchCommandModule from './commands/bench';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

// Loaded lazily so `chassis --help` and bad flags answer without touching config or servers.
function config(): ChassisConfig {
  return loadConfig();
}

// Each command's module is required when it runs (not imported at the top) so that
// `--help` and bad flags answer fast, without loading Temporal's native bridge.
/** Builds the `chassis` command line. */
export function buildProgram(): Command {
  const program = new Command('chassis')
    .description('Chassis: a durable harness for AI agents on Temporal and MongoDB')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const dev = program.command('dev').description('the local stack: Temporal dev server and FerretDB (MongoDB wire)');
  for (const action of ['up', 'down', 'status'] as const) {
    dev
      .command(action)
      .description(
        {
          up: 'install (first time) and start the local servers',
          down: 'stop the servers this project started',
          status: 'show the servers',
        }[action],
      )
      .option('--json', 'print JSON')
      .option('--quiet', 'print nothing on success')
      .action(async (options: { json?: boolean; quiet?: boolean }) => {
        const { devCommand } = require('./commands/dev') as typeof DevCommandModule;
        await devCommand(config(), action, options);
      });
  }

  program
    .command('worker')
    .description('run a worker: workflows, tool calls and model calls')
    .action(async () => {
      const { workerCommand } = require('./commands/worker') as typeof WorkerCommandModule;
      await workerCommand(config());
    });

  program
    .command('run')
    .description('start an agent task and print its answer')
    .argument('<goal>', 'what the agent should do')
    .option('--json', 'print one JSON object: {workflowId, runId, status, answer, usage}')
    .option('--no-wait', 'start the task and return at once')
    .option('--model <id>', 'model to use (default: CHASSIS_MODEL)')
    .option('--max-steps <n>', 'step budget of the agent loop', positiveInteger)
    .action(async (goal: string, options: { json?: boolean; wait?: boolean; model?: string; maxSteps?: number }) => {
      const { runCommand } = require('./commands/run') as typeof RunCommandModule;
      await runCommand(config(), goal, options);
    });

  program
    .command('status')
    .description("show a task's state, progress and result")
    .argument('<workflowId>')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, options: { json?: boolean }) => {
      const { statusCommand } = require('./commands/status') as typeof StatusCommandModule;
      await statusCommand(config(), workflowId, options);
    });

  program
    .command('demo')
    .description('start the local stack and a worker, run a demo task, print the answer and its Temporal UI link')
    .option('--goal <text>', 'a different goal (the offline scripted model only knows the demo goal)')
    .option('--json', 'print the task outcome as JSON')
    .action(async (options: { goal?: string; json?: boolean }) => {
      const { demoCommand } = require('./commands/demo') as typeof DemoCommandModule;
      await demoCommand(config(), options);
    });

  program
    .command('mock-llm')
    .description('serve the scripted OpenAI-compatible model (a test double, not a model)')
    .addOption(new Option('--port <port>', 'port (0 = any free port)').default('4010'))
    .addOption(new Option('--host <host>', 'interface').default('127.0.0.1'))
    .requiredOption('--script <file>', 'JSON script of rules')
    .action(async (options: { port: string; host: string; script: string }) => {
      const { mockLlmCommand } = require('./commands/mock-llm') as typeof MockLlmCommandModule;
      await mockLlmCommand(options);
    });

  program
    .command('bench')
    .description('run a benchmark from bench/ against the local stack')
    .argument('<name>', 'benchmark name, e.g. overhead')
    .action(async (name: string) => {
      const { benchCommand } = require('./commands/bench') as typeof BenchCommandModule;
      await benchCommand(config(), name);
    });

  return program;
}

/** Turns any error into one line on stderr and an exit code; stack traces only with CHASSIS_DEBUG=1. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (unknown option, missing argument…).
    return error.exitCode === 0 ? 0 : 2;
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(`chassis: ${message}\n`);
  if (process.env.CHASSIS_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ConfigError) return 2;
  if (error instanceof Error && error.name === 'StackError') return 2;
  return 1;
}

/** Entry point: parse, run, exit with a meaningful code. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
