import type { Command } from 'commander';
import type { ChassisConfig } from '../../config/load-config';
import type * as GcCommandModule from './gc';

/**
 * Adds `chassis gc [--older-than 30d] [--dry-run] [--json]`: the retention sweep by hand. The
 * command module is required when the command runs, as in `cli.ts`, so `--help` stays fast.
 */
export function registerGcCommand(program: Command, config: () => ChassisConfig): void {
  program
    .command('gc')
    .description(
      'delete payloads, tool outputs, caches, ledger entries, events and episodes older than the retention that no running workflow needs',
    )
    .option(
      '--older-than <duration>',
      'what was last used longer ago than this: 90m, 12h, 30d, 2w (default: CHASSIS_RETENTION_DAYS)',
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print the counts as JSON')
    .action(async (options: { olderThan?: string; dryRun?: boolean; json?: boolean }) => {
      const { gcCommand, parseOlderThan } = require('./gc') as typeof GcCommandModule;
      // Checked before the config is read or a server is reached.
      const olderThanMs = options.olderThan === undefined ? undefined : parseOlderThan(options.olderThan);
      await gcCommand(config(), { olderThanMs, dryRun: options.dryRun, json: options.json });
    });
}
