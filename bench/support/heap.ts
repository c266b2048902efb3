import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

/**
 * A full garbage collection, so heap figures count live objects only. `--expose-gc` is
 * switched on at run time (the CLI starts Node without it); the function it exposes is
 * read from a fresh context, where V8 installs it.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** Bytes the process holds in the JavaScript heap and in array buffers (typed arrays live there), after a full collection. */
export function liveBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
