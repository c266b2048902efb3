import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository root: workers run `bin/chassis.js` from here. */
export const REPOSITORY_ROOT = path.join(__dirname, '..', '..', '..');

/** Options of {@link WorkerProcess}. */
export interface WorkerProcessOptions {
  /** Names the slot in logs and events, e.g. `worker-1`. */
  name: string;
  /** The worker's whole environment (nothing is inherited, so no developer secret leaks in). */
  environment: Record<string, string>;
  /** Each start appends the worker's stdout and stderr here. */
  logFile: string;
  /** Called when the process ends without being asked to (not by {@link WorkerProcess.kill} or `stop`). */
  onUnexpectedExit?: (description: string) => void;
}

/**
 * One `chassis worker` slot as a real child process, which the chaos suite kills with
 * SIGKILL and starts again. Each process leads its own process group, so {@link dispose}
 * also ends the MCP servers it started, even ones a kill left orphaned.
 */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  /** Process groups of every process started in this slot: cleaned up by {@link dispose}. */
  private readonly groups = new Set<number>();
  private readonly expectedExits = new Set<number>();
  private starts = 0;
  private lastStartedAt: number | undefined;

  constructor(private readonly options: WorkerProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The pid of the running worker, or `undefined` between a kill and the next start. */
  pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** When the running process started (epoch ms), or `undefined` while none runs. */
  startedAt(): number | undefined {
    return this.pid() === undefined ? undefined : this.lastStartedAt;
  }

  /** How many times this slot has started a process. */
  startCount(): number {
    return this.starts;
  }

  /** Starts a worker process (it connects, bundles the workflows and polls on its own). */
  start(): number {
    if (this.pid() !== undefined) throw new Error(`${this.name} is already running (pid ${this.pid()})`);
    fs.mkdirSync(path.dirname(this.options.logFile), { recursive: true });
    const log = fs.openSync(this.options.logFile, 'a');
    try {
      fs.writeSync(log, `\n=== ${new Date().toISOString()} start ${this.name}\n`);
      const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'bin', 'chassis.js'), 'worker'], {
        cwd: REPOSITORY_ROOT,
        env: this.options.environment,
        // Its own group: a Ctrl-C in the terminal reaches the suite only, which then cleans up in order.
        detached: true,
        stdio: ['ignore', log, log],
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error(`${this.name} could not start: no pid`);
      this.groups.add(pid);
      child.once('exit', (code, signal) => {
        if (this.expectedExits.delete(pid)) return;
        const description = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
        this.options.onUnexpectedExit?.(`${this.name} (pid ${pid}) ${description}`);
      });
      this.child = child;
      this.starts += 1;
      this.lastStartedAt = Date.now();
      return pid;
    } finally {
      fs.closeSync(log);
    }
  }

  /** Kills the worker process (not its MCP servers) with SIGKILL, as a crash would; resolves once it is gone. */
  async kill(): Promise<number | undefined> {
    const child = this.child;
    const pid = this.pid();
    if (child === undefined || pid === undefined) return undefined;
    this.expectedExits.add(pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(pid, 'SIGKILL');
    await exited;
    return pid;
  }

  /** Ends every process this slot started, MCP servers included, and waits for the worker to go. */
  async dispose(): Promise<void> {
    const child = this.child;
    const pid = this.pid();
    if (pid !== undefined) this.expectedExits.add(pid);
    const exited =
      child !== undefined && pid !== undefined
        ? new Promise<void>((resolve) => child.once('exit', () => resolve()))
        : Promise.resolve();
    for (const group of this.groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // The whole group is gone already.
      }
    }
    this.groups.clear();
    await exited;
  }
}
