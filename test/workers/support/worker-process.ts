import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const CLI = path.join(__dirname, '..', '..', '..', 'bin', 'chassis.js');

/** A real `chassis worker` in a child process, with its stderr lines as they come. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every stderr line so far. */
  readonly lines: string[];
  /** The first line from `after` on (default: any line so far) that matches, waiting for it. */
  waitForLine(pattern: RegExp, options?: { timeoutMs?: number; after?: number }): Promise<string>;
  /** True while the process runs. */
  running(): boolean;
  /** Resolves with the exit code when the process ends by itself. */
  exited: Promise<number | null>;
  /** Ctrl-C, then SIGKILL if it has not ended within 30 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node bin/chassis.js worker` with the test's environment plus `environment`. */
export function spawnWorkerProcess(environment: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env: { ...process.env, CHASSIS_DEBUG: '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  const collect = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    lines.push(...complete);
    for (const wake of waiters) wake();
  };
  child.stderr?.on('data', collect);
  child.stdout?.on('data', collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    running: () => exitCode === undefined,
    exited,
    waitForLine(pattern, options = {}) {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const from = options.after ?? 0;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find((line) => pattern.test(line));
          if (found !== undefined) {
            finish();
            resolve(found);
          } else if (exitCode !== undefined) {
            finish();
            reject(new Error(`the worker exited (${exitCode}) before printing ${pattern}:\n${lines.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
