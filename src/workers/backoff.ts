/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay. @default 1000 */
  initialMs?: number;
  /** Longest delay: how long a recovered server may wait to be noticed. @default 10000 */
  maxMs?: number;
  /** @default 2 */
  factor?: number;
}

/**
 * Exponential delays between reconnection attempts. No jitter: one process reconnects to
 * one server, so there is no herd to spread out, and fixed delays keep logs predictable.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private current: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 10_000;
    this.factor = options.factor ?? 2;
    this.current = this.initialMs;
  }

  /** The delay before the next attempt; each call returns a longer one, up to the maximum. */
  next(): number {
    const delay = this.current;
    this.current = Math.min(this.maxMs, this.current * this.factor);
    return delay;
  }

  /** Starts over from the first delay (after a success). */
  reset(): void {
    this.current = this.initialMs;
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
