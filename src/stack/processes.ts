import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A server to run in the background, owned by a pid file under `<home>/run`. */
export interface BackgroundProcessSpec {
  /** Short name: the pid file is `<home>/run/<name>.pid`, the log `<home>/logs/<name>.log`. */
  name: string;
  /** Absolute path of the executable. */
  command: string;
  arguments: string[];
  /** The config home (`ChassisConfig.home`). */
  home: string;
}

/** A background process this code started. */
export interface StartedProcess {
  pid: number;
  logFile: string;
  pidFile: string;
  /** How the process ended, or `undefined` while it runs (known only to the starting process). */
  exitDescription: () => string | undefined;
}

/** A live process found through its pid file. */
export interface RunningProcess {
  pid: number;
  logFile: string;
}

/** How a process is recognised: its pid file's name and words its command line must hold. */
export interface ProcessIdentity {
  name: string;
  home: string;
  /**
   * Strings the process's command line must contain, e.g. the binary name and the data
   * path. Guards against a reused pid: a stale pid file may now name an unrelated process.
   */
  commandLineIncludes: string[];
}

/** Path of the pid file of a named process. */
export function pidFilePath(home: string, name: string): string {
  return path.join(home, 'run', `${name}.pid`);
}

/** Path of the log file of a named process. */
export function logFilePath(home: string, name: string): string {
  return path.join(home, 'logs', `${name}.log`);
}

/**
 * Starts a detached process that outlives this one (the stack is shared across test runs
 * and CLI calls), with stdout and stderr appended to its log, and writes its pid file.
 */
export function startBackgroundProcess(spec: BackgroundProcessSpec): StartedProcess {
  const logFile = logFilePath(spec.home, spec.name);
  const pidFile = pidFilePath(spec.home, spec.name);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const log = fs.openSync(logFile, 'a');
  let exitDescription: string | undefined;
  try {
    fs.writeSync(log, `\n=== ${new Date().toISOString()} ${spec.command} ${spec.arguments.join(' ')}\n`);
    const child = spawn(spec.command, spec.arguments, {
      cwd: spec.home,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.once('error', (error) => {
      exitDescription = `could not start: ${error.message}`;
    });
    child.once('exit', (code, signal) => {
      exitDescription = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    });
    // unref: this process may exit (a CLI call, a test run) while the server keeps running.
    child.unref();
    if (child.pid === undefined) {
      return { pid: -1, logFile, pidFile, exitDescription: () => exitDescription ?? 'could not start' };
    }
    fs.writeFileSync(pidFile, `${child.pid}\n`);
    return { pid: child.pid, logFile, pidFile, exitDescription: () => exitDescription };
  } finally {
    // The child holds its own copy of the descriptor.
    fs.closeSync(log);
  }
}

/**
 * The live process named by a pid file, or `undefined`. A stale pid file (the process is
 * gone, or its pid now belongs to another program) is removed.
 */
export function findRunningProcess(identity: ProcessIdentity): RunningProcess | undefined {
  const pidFile = pidFilePath(identity.home, identity.name);
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) && commandLineMatches(pid, identity)) {
    return { pid, logFile: logFilePath(identity.home, identity.name) };
  }
  fs.rmSync(pidFile, { force: true });
  return undefined;
}

/** What {@link stopBackgroundProcess} did. */
export type StopOutcome = { stopped: false } | { stopped: true; pid: number; forced: boolean };

/**
 * Stops the process named by a pid file (never by name, so nothing else is touched):
 * SIGTERM, then SIGKILL if it is still alive after `timeoutMs`.
 */
export async function stopBackgroundProcess(
  identity: ProcessIdentity,
  options: { timeoutMs?: number } = {},
): Promise<StopOutcome> {
  const running = findRunningProcess(identity);
  if (running === undefined) return { stopped: false };
  const { pid } = running;
  signal(pid, 'SIGTERM');
  let forced = false;
  if (!(await waitForExit(pid, options.timeoutMs ?? 15_000))) {
    forced = true;
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  fs.rmSync(pidFilePath(identity.home, identity.name), { force: true });
  return { stopped: true, pid, forced };
}

/**
 * True when the pid names a live process. A zombie counts as gone: where the parent does
 * not reap its children (e.g. some container init processes), a killed server stays a
 * zombie and `kill(pid, 0)` still succeeds.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the pid exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const status = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(status);
  } catch {
    return true; // No /proc (macOS): trust kill(pid, 0).
  }
}

/** The command line of a process, from /proc on Linux or `ps` elsewhere. */
export function processCommandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const result = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  }
}

/** The last lines of a file, or an empty string when it cannot be read. */
export function tailOfFile(file: string, lineCount: number): string {
  try {
    const size = fs.statSync(file).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    const descriptor = fs.openSync(file, 'r');
    try {
      fs.readSync(descriptor, buffer, 0, length, size - length);
    } finally {
      fs.closeSync(descriptor);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lineCount).join('\n');
  } catch {
    return '';
  }
}

function commandLineMatches(pid: number, identity: ProcessIdentity): boolean {
  const commandLine = processCommandLine(pid);
  return commandLine !== undefined && identity.commandLineIncludes.every((part) => commandLine.includes(part));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isProcessAlive(pid);
}
