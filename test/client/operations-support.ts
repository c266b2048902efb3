import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'chassis.js');
const SHIM = path.join(__dirname, 'operations-cli.ts');

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let entry: string[] | undefined;

/**
 * How to start the CLI: `bin/chassis.js` once `cli.ts` registers the operations commands,
 * else the same program with them added (`operations-cli.ts`).
 */
export function cliEntry(): string[] {
  if (entry === undefined) {
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    entry = /^\s+replay\b/m.test(help) ? [BIN] : ['--require', 'tsx/cjs', SHIM];
  }
  return entry;
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
