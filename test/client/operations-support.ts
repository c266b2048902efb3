import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'chassis.js');

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The arguments after `node` that start the CLI: `bin/chassis.js`, as a user runs it. */
export function cliEntry(): string[] {
  return [BIN];
}

/** Runs `chassis <args>` in a child process, as a user would. */
export function chassis(args: string[], environment: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cliEntry(), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...environment, CHASSIS_DEBUG: '' },
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Asserts what bad input must give: exit code `code`, nothing on stdout, and one line on
 * stderr matching `pattern` (commander's "(run with --help …)" hint aside), never a stack trace.
 */
export function expectOneLineError(run: CliRun, pattern: RegExp, code = 2): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(pattern);
  expect(
    run.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('(run with --help')),
  ).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

/** Polls `check` until it returns a value (not undefined) or the time runs out; visibility is eventually consistent. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
