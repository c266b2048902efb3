import { benchCommand } from '../../src/client/commands/bench';
import { CliError } from '../../src/client/cli-error';
import { loadConfig } from '../../src/config/load-config';

describe('chassis bench', () => {
  test('finds the repository bench/ folder and lists its benchmarks for an unknown name', async () => {
    const run = benchCommand(loadConfig({}, '/project'), 'nope');
    await expect(run).rejects.toThrow(CliError);
    await expect(run).rejects.toThrow(/^no benchmark "nope": available: .*\boverhead\b.*\bthroughput\b/);
  });

  test('refuses a name that is not a plain benchmark name', async () => {
    await expect(benchCommand(loadConfig({}, '/project'), '../package')).rejects.toThrow(
      /^no benchmark "\.\.\/package"/,
    );
  });
});
