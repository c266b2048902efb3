import { InvalidArgumentError, type Command } from 'commander';
import type { ChassisConfig } from '../../config/load-config';
import type * as MemoryCommandModule from './memory';

function resultCount(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 1000)
    throw new InvalidArgumentError('must be an integer from 1 to 1000');
  return parsed;
}

function namespaceName(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(value))
    throw new InvalidArgumentError('must be 1-100 letters, digits, ".", "_" or "-"');
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Adds `chassis memory import|search|list|delete`: semantic memory from the command line,
 * through the same stores and search as the agents' `memory_search` tool. The command
 * module is required when a command runs, as in `cli.ts`, so `--help` stays fast.
 */
export function registerMemoryCommands(program: Command, config: () => ChassisConfig): void {
  const memory = program.command('memory').description('long-term memory: import, search, list and delete');
  const load = () => require('./memory') as typeof MemoryCommandModule;
  const namespaceHelp = 'namespace (default: CHASSIS_MEMORY_NAMESPACE, else "default")';

  memory
    .command('import')
    .description('import a JSONL file: one {"text", "id"?, "session"?, "time"?, "meta"?, "tags"?} per line')
    .argument('<file>', 'the JSONL file')
    .option('--namespace <name>', namespaceHelp, namespaceName)
    .option('--json', 'print the counts as JSON')
    .action(async (file: string, options: { namespace?: string; json?: boolean }) => {
      await load().memoryImportCommand(config(), file, options);
    });

  memory
    .command('search')
    .description('search memory; with --batch, one JSON line per query')
    .argument('[query]', 'what to look for')
    .option('--namespace <name>', namespaceHelp, namespaceName)
    .option('--k <n>', 'number of results', resultCount, 10)
    .option('--json', 'print JSON')
    .option('--batch <file>', 'a JSONL file of {"id", "query"}; prints {"id", "results": [{"id", "score"}]} per line')
    .action(
      async (query: string | undefined, options: { namespace?: string; k: number; json?: boolean; batch?: string }) => {
        await load().memorySearchCommand(config(), query, options);
      },
    );

  memory
    .command('list')
    .description('the namespaces, or with --namespace the entries of one, newest first')
    .option('--namespace <name>', 'the namespace whose entries to list', namespaceName)
    .option('--limit <n>', 'entries to list', resultCount, 100)
    .option('--json', 'print JSON')
    .action(async (options: { namespace?: string; limit: number; json?: boolean }) => {
      await load().memoryListCommand(config(), options);
    });

  memory
    .command('delete')
    .description('delete a namespace, or with --id some of its documents')
    .option('--namespace <name>', namespaceHelp, namespaceName)
    .option('--id <id>', 'a document id given at import (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (options: { namespace?: string; id?: string[]; json?: boolean }) => {
      await load().memoryDeleteCommand(config(), options);
    });
}
