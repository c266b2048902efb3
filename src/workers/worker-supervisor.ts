import type { NativeConnection } from '@temporalio/worker';
import { Backoff, sleep, type BackoffOptions } from './backoff';
import { connectionErrorReason } from './connection-labels';
import type { ChassisWorkers } from './create-workers';

/** Options of {@link WorkerSupervisor}. */
export interface WorkerSupervisorOptions {
  /** `TEMPORAL_ADDRESS`, for messages. */
  address: string;
  /** Opens the worker's connection to Temporal; called until it succeeds. */
  connect(): Promise<NativeConnection>;
  /** Builds the workers on the connection; called again after the workers failed. */
  createWorkers(connection: NativeConnection): Promise<ChassisWorkers>;
  /** Where the supervisor says what it waits for and why it restarts. */
  log: (line: string) => void;
  /** Delays between connection attempts and restarts. @default 1 s doubling to 10 s */
  backoff?: BackoffOptions;
  /** A run at least this long resets the restart delay. @default 60000 */
  healthyRunMs?: number;
}

/**
 * Keeps a worker process's Temporal workers running.
 *
 * - Temporal down at start: the connection is retried with a backoff (the native
 *   connection connects eagerly, so there is no lazy connect to rely on), and the
 *   workers start once it answers.
 * - Temporal gone while running: the SDK's pollers retry a refused connection by
 *   themselves and the workers keep running (tried with the dev server killed for more
 *   than three minutes). Errors the SDK cannot classify as transient fail the worker
 *   after about a minute of retries; then the workers are created again on the same
 *   connection, with a backoff. A failed worker has already drained: activities in flight
 *   finished (or were cancelled after the shutdown grace time and are retried by the
 *   server), so nothing in flight is dropped by the restart.
 */
export class WorkerSupervisor {
  /** Resolves the first time the workers poll. */
  readonly ready: Promise<void>;
  /** Resolves after the first attempt to connect to Temporal, whether it succeeded or not. */
  readonly firstAttempt: Promise<void>;
  private markReady: () => void = () => undefined;
  private markFirstAttempt: () => void = () => undefined;
  private readonly backoff: Backoff;
  private readonly stopping = new AbortController();
  private connection: NativeConnection | undefined;
  private workers: ChassisWorkers | undefined;
  private lastConnectError: string | undefined;

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.backoff = new Backoff(options.backoff);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.firstAttempt = new Promise((resolve) => (this.markFirstAttempt = resolve));
  }

  /** Connects, runs the workers and restarts them when they fail; resolves once stopped. */
  async run(): Promise<void> {
    const connection = await this.connect().finally(() => this.markFirstAttempt());
    if (connection === undefined) return;
    try {
      await this.superviseWorkers(connection);
    } finally {
      this.connection = undefined;
      await connection.close().catch(() => undefined);
    }
  }

  /** Stops the workers (they finish or cancel their activities) and any waiting. */
  stop(): void {
    this.stopping.abort();
    this.workers?.shutdown();
  }

  /** The workers' connection while connected, for a client in the same process (eager workflow start). */
  currentConnection(): NativeConnection | undefined {
    return this.connection;
  }

  /** Whether Temporal answers now, for the health line. */
  async probe(timeoutMs = 3_000): Promise<{ ok: boolean; detail?: string }> {
    const connection = this.connection;
    if (connection === undefined) return { ok: false, detail: this.lastConnectError ?? 'connecting' };
    try {
      await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: connectionErrorReason(error) };
    }
  }

  private async connect(): Promise<NativeConnection | undefined> {
    const signal = this.stopping.signal;
    let announced = false;
    while (!signal.aborted) {
      try {
        const connection = await this.options.connect();
        if (signal.aborted) {
          await connection.close().catch(() => undefined);
          return undefined;
        }
        this.connection = connection;
        this.lastConnectError = undefined;
        this.backoff.reset();
        if (announced) this.options.log(`Temporal at ${this.options.address} answers: starting the workers`);
        return connection;
      } catch (error) {
        this.lastConnectError = connectionErrorReason(error);
        this.markFirstAttempt();
        if (!announced) {
          this.options.log(
            `waiting for Temporal at ${this.options.address} (${this.lastConnectError}) — the workers start polling once it answers`,
          );
          announced = true;
        }
        await sleep(this.backoff.next(), signal);
      }
    }
    return undefined;
  }

  private async superviseWorkers(connection: NativeConnection): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let workers: ChassisWorkers;
      try {
        workers = await this.options.createWorkers(connection);
      } catch (error) {
        const delay = this.backoff.next();
        this.options.log(
          `could not start the workers (${connectionErrorReason(error)}); trying again in ${Math.round(delay / 1000)} s`,
        );
        await sleep(delay, signal);
        continue;
      }
      this.workers = workers;
      const running = workers.run();
      // stop() may have come while the workers were being created.
      if (signal.aborted) workers.shutdown();
      else this.markReady();
      const startedAt = Date.now();
      try {
        await running;
        // Ended without an error: stop() or the runtime's shutdown signal (Ctrl-C).
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (Date.now() - startedAt >= (this.options.healthyRunMs ?? 60_000)) this.backoff.reset();
        const delay = this.backoff.next();
        this.options.log(
          `the workers stopped (${connectionErrorReason(error)}) after finishing their activities in flight; restarting them in ${Math.round(delay / 1000)} s`,
        );
        await sleep(delay, signal);
      } finally {
        this.workers = undefined;
      }
    }
  }
}
