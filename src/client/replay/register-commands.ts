import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ChassisConfig } from '../../config/load-config';
import type * as CodecServerCommandModule from '../commands/codec-server';
import type * as ListCommandModule from '../commands/list';
import type * as ReplayCommandModule from '../commands/replay';
import type * as RetryCommandModule from '../commands/retry';
import { parseSince, parseStatuses, type ListStatus } from './list-query';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535)
    throw new InvalidArgumentError('must be a port, 0-65535');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

/**
 * Adds `replay`, `retry`, `list` and `codec-server` to the `chassis` program. Modules are
 * required when a command runs, as in `cli.ts`, so `--help` stays fast.
 */
export function registerOperationCommands(program: Command, config: () => ChassisConfig): void {
  program
    .command('replay')
    .description("replay a workflow's history against the current workflow code: deterministic or where it diverged")
    .argument('[workflowId]', 'the workflow (omit with --history)')
    .option('--run <runId>', 'a specific run (default: the latest)')
    .option('--history <file>', 'replay a history JSON file instead of fetching one')
    .option('--workflows <path>', 'replay against another workflows module (to check a change before deploying it)')
    .option('--json', 'print JSON')
    .action(
      async (
        workflowId: string | undefined,
        options: { run?: string; history?: string; workflows?: string; json?: boolean },
      ) => {
        const { replayCommand } = require('../commands/replay') as typeof ReplayCommandModule;
        await replayCommand(config(), workflowId, options);
      },
    );

  program
    .command('retry')
    .description('re-run a failed or timed-out task: reset to its last good point, else a new run with the same input')
    .argument('<workflowId>')
    .option('--new-run', 'skip the reset: start a new run with the same input')
    .option('--wait', 'wait for the new run to finish')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, options: { newRun?: boolean; wait?: boolean; json?: boolean }) => {
      const { retryCommand } = require('../commands/retry') as typeof RetryCommandModule;
      await retryCommand(config(), workflowId, options);
    });

  program
    .command('list')
    .description('list agent tasks, filtered by status, session and start time (a visibility query)')
    .option(
      '--status <statuses>',
      'running, completed, budget_exceeded, failed, cancelled, timed_out, terminated (comma-separated)',
      parseStatuses,
    )
    .option('--session <id>', 'tasks of one session')
    .option('--since <when>', 'started within a duration (30m, 24h, 7d) or since an ISO date', (value) =>
      parseSince(value),
    )
    .option('--task-queue <name>', 'tasks of one task queue')
    .option('--limit <n>', 'at most this many tasks (default 50)', positiveInteger)
    .option('--all-runs', 'also list runs that a retry replaced')
    .option('--json', 'print JSON: {query, tasks}')
    .action(
      async (options: {
        status?: ListStatus[];
        session?: string;
        since?: Date;
        taskQueue?: string;
        limit?: number;
        allRuns?: boolean;
        json?: boolean;
      }) => {
        const { listCommand } = require('../commands/list') as typeof ListCommandModule;
        await listCommand(config(), { ...options, statuses: options.status });
      },
    );

  program
    .command('codec-server')
    .description("serve the Temporal UI's remote codec endpoint: decodes claim-checked and encrypted payloads")
    .addOption(new Option('--port <port>', 'port (0 = any free port)').default(8888).argParser(port))
    .addOption(new Option('--host <host>', 'interface').default('127.0.0.1'))
    .option('--origin <url...>', "browser origins allowed besides the Temporal UI's")
    .option(
      '--public-name <name...>',
      'host names it is reached by besides localhost (checked against the Host header)',
    )
    .action(async (options: { port: number; host: string; origin?: string[]; publicName?: string[] }) => {
      const { codecServerCommand } = require('../commands/codec-server') as typeof CodecServerCommandModule;
      await codecServerCommand(config(), {
        port: options.port,
        host: options.host,
        origins: options.origin,
        publicNames: options.publicName,
      });
    });
}
