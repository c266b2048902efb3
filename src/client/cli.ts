import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isConfigError } from '../config/config-error';
import { loadConfig, type ChassisConfig } from '../config/load-config';
import { maskSecrets } from '../config/mask-secrets';
import { isStackError } from '../stack/stack-error';
import { isCliError } from './cli-error';
import { registerGcCommand } from './commands/gc-command';
import { registerMemoryCommands } from './commands/memory-commands';
import { registerOperationCommands } from './replay/register-commands';
import type * as DevCommandModule from './commands/dev';
import type * as WorkerCommandModule from './commands/worker';
import type * as RunCommandModule from './commands/run';
import type * as StatusCommandModule from './commands/status';
import type * as DemoCommandModule from './commands/demo';
import type * as MockLlmCommandModule from './offline/mock-llm';
import type * as BenchCommandModule from './commands/bench';
import type * as CancelCommandModule from './commands/cancel';
import type * as InstructCommandModule from './commands/instruct';
import type * as HumanCommandModule from './commands/human';
import type * as ToolsCommandModule from './commands/tools';
import type * as UsageCommandModule from './commands/usage';
import type * as SessionCommandModule from './commands/session';
import type * as EventsCommandModule from './commands/events';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
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
    .addOption(
      new Option('--log-level <level>', 'log level of the Temporal SDK')
        .choices(['error', 'warn', 'info', 'debug', 'trace'])
        .default('warn'),
    )
    .action(async (options: { logLevel: string }) => {
      const { workerCommand } = require('./commands/worker') as typeof WorkerCommandModule;
      await workerCommand(config(), {
        logLevel: options.logLevel.toUpperCase() as WorkerCommandModule.WorkerCommandOptions['logLevel'],
      });
    });

  program
    .command('run')
    .description('start an agent task and print its answer')
    .argument('<goal>', 'what the agent should do')
    .option('--json', 'print one JSON object: {workflowId, runId, status, answer, usage}')
    .option('--no-wait', 'start the task and return at once')
    .option('--model <id>', 'pin every call to this model (default: CHASSIS_MODEL, else routed by the catalog)')
    .option('--direct', 'skip the planner: one agent loop, no subtasks')
    .option('--max-steps <n>', 'step budget of the agent loop', positiveInteger)
    .option(
      '--events',
      'print the task\'s events as NDJSON (token, step, tool, subtask, answer), ending with a "done" line holding the --json object',
    )
    .action(
      async (
        goal: string,
        options: {
          json?: boolean;
          wait?: boolean;
          model?: string;
          maxSteps?: number;
          direct?: boolean;
          events?: boolean;
        },
      ) => {
        const { runCommand } = require('./commands/run') as typeof RunCommandModule;
        await runCommand(config(), goal, options);
      },
    );

  program
    .command('events')
    .description("print a task's events as NDJSON until it ends (reconnect with --from <last sequence seen>)")
    .argument('<workflowId>')
    .option('--from <sequence>', 'print only the events after this sequence', nonNegativeInteger)
    .action(async (workflowId: string, options: { from?: number }) => {
      const { eventsCommand } = require('./commands/events') as typeof EventsCommandModule;
      await eventsCommand(config(), workflowId, options);
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
    .command('cancel')
    .description('cancel a running task (its subtasks and running calls are cancelled too)')
    .argument('<workflowId>')
    .action(async (workflowId: string) => {
      const { cancelCommand } = require('./commands/cancel') as typeof CancelCommandModule;
      await cancelCommand(config(), workflowId);
    });

  program
    .command('instruct')
    .description('add an instruction to a running task')
    .argument('<workflowId>')
    .argument('<instruction>')
    .action(async (workflowId: string, instruction: string) => {
      const { instructCommand } = require('./commands/instruct') as typeof InstructCommandModule;
      await instructCommand(config(), workflowId, instruction);
    });

  program
    .command('approve')
    .description('approve a tool call a task is waiting on')
    .argument('<workflowId>', 'the task (or subtask) that waits')
    .argument('<call>', "the pending call's key, as `chassis status` shows it (e.g. 2/1)")
    .option('--reason <text>', 'why')
    .action(async (workflowId: string, callId: string, options: { reason?: string }) => {
      const { humanCommand } = require('./commands/human') as typeof HumanCommandModule;
      await humanCommand(config(), workflowId, { kind: 'approve', callId, reason: options.reason });
    });

  program
    .command('reject')
    .description('reject a tool call a task is waiting on; the model is told why')
    .argument('<workflowId>')
    .argument('<call>', "the pending call's key (e.g. 2/1)")
    .option('--reason <text>', 'why (the model sees it)')
    .action(async (workflowId: string, callId: string, options: { reason?: string }) => {
      const { humanCommand } = require('./commands/human') as typeof HumanCommandModule;
      await humanCommand(config(), workflowId, { kind: 'reject', callId, reason: options.reason });
    });

  program
    .command('answer')
    .description('answer a question the agent asked with ask_user')
    .argument('<workflowId>')
    .argument('<call>', "the pending question's call key (e.g. 3/1)")
    .argument('<answer>')
    .action(async (workflowId: string, callId: string, answer: string) => {
      const { humanCommand } = require('./commands/human') as typeof HumanCommandModule;
      await humanCommand(config(), workflowId, { kind: 'answer', callId, answer });
    });

  program
    .command('tools')
    .description('the tools workers offer')
    .command('list')
    .description('list tools with their policies')
    .option('--json', 'print the descriptors as JSON')
    .action(async (options: { json?: boolean }) => {
      const { toolsListCommand } = require('./commands/tools') as typeof ToolsCommandModule;
      await toolsListCommand(config(), options);
    });

  program
    .command('usage')
    .description('tokens and cost of finished agent tasks (from Temporal visibility)')
    .option('--since <duration>', 'how far back: 30m, 24h, 7d, 2w', '24h')
    .option('--json', 'print JSON')
    .action(async (options: { since: string; json?: boolean }) => {
      const { usageCommand } = require('./commands/usage') as typeof UsageCommandModule;
      await usageCommand(config(), options);
    });

  program
    .command('send')
    .description('send one message to a session (started if needed) and print the answer')
    .requiredOption('--session <id>', 'the session')
    .argument('<message>')
    .option('--json', 'print the turn as JSON')
    .option('--no-wait', 'post the message (a signal) and return at once; the answer lands in the session history')
    .option('--events', 'print the turn\'s events as NDJSON, ending with a "done" line holding the --json object')
    .action(async (message: string, options: { session: string; json?: boolean; wait?: boolean; events?: boolean }) => {
      const { sendCommand } = require('./commands/session') as typeof SessionCommandModule;
      await sendCommand(config(), message, options);
    });

  program
    .command('chat')
    .description('talk with a session interactively')
    .requiredOption('--session <id>', 'the session')
    .action(async (options: { session: string }) => {
      const { chatCommand } = require('./commands/session') as typeof SessionCommandModule;
      await chatCommand(config(), options);
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
      const { mockLlmCommand } = require('./offline/mock-llm') as typeof MockLlmCommandModule;
      await mockLlmCommand(options);
    });

  program
    .command('bench')
    .description(
      'run a benchmark from bench/ against the local stack (loaded from its TypeScript source through tsx: needs a clone of the repository)',
    )
    .argument('<name>', 'benchmark name, e.g. overhead')
    .argument('[options...]', "the benchmark's own options, after --, e.g. -- --data FILE")
    // The benchmark parses its own options; commander must not reject them.
    .allowUnknownOption()
    .action(async (name: string, options: string[]) => {
      const { benchCommand } = require('./commands/bench') as typeof BenchCommandModule;
      await benchCommand(config(), name, options);
    });

  registerOperationCommands(program, config);
  registerMemoryCommands(program, config);
  registerGcCommand(program, config);
  return program;
}

/** Turns any error into one line on stderr and an exit code; stack traces only with CHASSIS_DEBUG=1. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (unknown option, missing argument…).
    return error.exitCode === 0 ? 0 : 2;
  }
  // The last line of defence: a driver's error may quote a connection string or a key.
  const message = maskSecrets(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error));
  process.stderr.write(`chassis: ${message}\n`);
  if (process.env.CHASSIS_DEBUG === '1' && error instanceof Error)
    process.stderr.write(`${maskSecrets(error.stack ?? '')}\n`);
  if (isCliError(error)) return error.exitCode;
  if (isConfigError(error)) return 2;
  if (isStackError(error)) return 2;
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
