import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from './processes';
import { StackError } from './stack-error';

/** How long to wait for another `stackUp`/`stackDown`, which may be building a binary. */
const LOCK_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs `action` while holding `<home>/run/stack.lock`, so two processes (two jest runs, a
 * test run and `chassis dev up`) never start the same server twice or race on pid files.
 * A lock left by a process that died is taken over.
 */
export async function withStackLock<Result>(
  home: string,
  action: () => Promise<Result>,
  onWait: (holderPid: number) => void = () => undefined,
): Promise<Result> {
  const lockFile = path.join(home, 'run', 'stack.lock');
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(lockFile);
    if (holder === undefined ? isOlderThan(lockFile, 5_000) : !isProcessAlive(holder)) {
      // The holder died without cleaning up. (An empty file is a holder between creating
      // and filling it, hence the age check.)
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (holder !== undefined && Date.now() > deadline) {
      throw new StackError(`process ${holder} has held ${lockFile} for 15 minutes: stop it, or delete the file`);
    }
    if (holder !== undefined && !announced) {
      onWait(holder);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await action();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function readHolder(lockFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // Removed, or written but not yet filled: read again on the next turn.
  }
}

function isOlderThan(file: string, ageMs: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ageMs;
  } catch {
    return false;
  }
}
