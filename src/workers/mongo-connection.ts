import { MongoClient, MongoNotConnectedError, MongoTopologyClosedError, type Db } from 'mongodb';
import { isMongoUnavailable } from '../memory/memory-errors';
import { Backoff, sleep, type BackoffOptions } from './backoff';
import { maskSecrets } from '../config/mask-secrets';
import { connectionErrorReason, mongoServerLabel } from './connection-labels';
import { mongoClientOptions } from '../config/mongo-options';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * Work that needs a reachable server and must happen once per process (creating indexes,
 * detecting what the server supports). It runs after the first successful connect, and
 * again after each later connect until it has succeeded once.
 */
export interface WorkWhenConnected {
  /** A few words for messages, e.g. "memory indexes". */
  name: string;
  /**
   * Does the work. MongoDB being unavailable is retried after a backoff; a
   * {@link FatalSetupError} stops the worker; any other error is reported once and the
   * work is given up (the worker goes on, degraded).
   *
   * @returns a line to print when the work completes after an outage, or undefined
   */
  run(db: Db): Promise<string | undefined>;
}

/** A problem found on the server that no retry can fix: the worker stops with this message. */
export class FatalSetupError extends ChassisError {
  override readonly name = 'FatalSetupError';
}

/** True for a {@link FatalSetupError} from any copy of this module. */
export const isFatalSetupError = markErrorClass(FatalSetupError, 'FatalSetupError');

/** Options of {@link MongoConnection}. */
export interface MongoConnectionOptions {
  uri: string;
  database: string;
  /**
   * How long an operation waits for a server before failing. Short, so a down database
   * makes memory and caches degrade instead of stalling calls. @default 3000
   */
  serverSelectionTimeoutMs?: number;
  /** Where the worker says what it waits for. @default nothing is printed */
  log?: (line: string) => void;
  /** Delays between connection attempts. @default 1 s doubling to 10 s */
  backoff?: BackoffOptions;
}

/** Where the connection stands. */
export type MongoConnectionState = { state: 'connecting' } | { state: 'up' } | { state: 'down'; reason: string };

/**
 * Owns the worker's `MongoClient` and keeps it connected.
 *
 * The driver connects a client on its first operation when nobody called `connect()`, and
 * when that first connect fails it closes the new topology but keeps it on the client, so
 * every later operation fails with "Topology is closed" even after the server is back
 * (`MongoClient._connect` and `autoConnect` in mongodb 7). So this class never relies on
 * auto-connect: it calls `connect()` itself, in the background, with a backoff, and again
 * whenever the topology closes. Once connected, the driver's own monitoring reconnects
 * after a server restart.
 *
 * While the server is down, operations fail with the driver's errors (server selection,
 * topology closed), which the memory and tool layers classify as unavailable and the
 * engine retries; they work again as soon as the server answers, without a restart.
 */
export class MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  /** The server's hosts, without credentials, for messages. */
  readonly label: string;
  /** Resolves after the first connection attempt and the work that follows it, failed or not. */
  readonly firstAttempt: Promise<void>;
  /** Rejects with a {@link FatalSetupError} when work found a problem no retry can fix; never resolves. */
  readonly fatal: Promise<never>;

  private readonly log: (line: string) => void;
  private readonly backoff: Backoff;
  private readonly pending: WorkWhenConnected[] = [];
  private readonly stopping = new AbortController();
  private current: MongoConnectionState = { state: 'connecting' };
  private wake: (() => void) | undefined;
  private settleFirstAttempt: () => void = () => undefined;
  private failFatally: (error: FatalSetupError) => void = () => undefined;
  private fatalError: FatalSetupError | undefined;
  private loop: Promise<void> | undefined;

  constructor(options: MongoConnectionOptions) {
    this.client = new MongoClient(
      options.uri,
      mongoClientOptions(options.uri, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 3_000 }),
    );
    this.db = this.client.db(options.database);
    this.label = mongoServerLabel(options.uri);
    this.log = options.log ?? (() => undefined);
    this.backoff = new Backoff(options.backoff);
    this.firstAttempt = new Promise((resolve) => (this.settleFirstAttempt = resolve));
    this.fatal = new Promise<never>((_resolve, reject) => (this.failFatally = reject));
    // Nobody may be listening (a worker that stops first): the rejection is still reported through `fatal`.
    this.fatal.catch(() => undefined);
    // A topology closed under a connected client (not by us) would fail every later
    // operation: connect again.
    this.client.on('topologyClosed', () => this.wake?.());
  }

  /** Registers work for when the server answers; call before {@link start}. */
  whenConnected(work: WorkWhenConnected): void {
    this.pending.push(work);
  }

  /** Starts connecting in the background; returns at once. */
  start(): void {
    this.loop ??= this.keepConnected();
  }

  /** The problem that stopped the connection's setup for good, if any (also the rejection of {@link fatal}). */
  failure(): FatalSetupError | undefined {
    return this.fatalError;
  }

  /** Where the connection stands now. */
  state(): MongoConnectionState {
    return this.current;
  }

  /**
   * Pings the server through the worker's own client, so the answer is what activities
   * see. A closed topology starts a reconnection.
   *
   * @throws the driver's error when the server does not answer
   */
  async ping(): Promise<void> {
    try {
      await this.db.command({ ping: 1 });
    } catch (error) {
      if (error instanceof MongoTopologyClosedError || error instanceof MongoNotConnectedError) this.wake?.();
      throw error;
    }
  }

  /** Stops reconnecting and closes the client. */
  async close(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.client.close();
  }

  private async keepConnected(): Promise<void> {
    const signal = this.stopping.signal;
    let announcedWait = false;
    while (!signal.aborted) {
      // Armed before connecting, so a topology closed during the attempt is not missed.
      const topologyClosed = new Promise<void>((resolve) => (this.wake = resolve));
      try {
        await this.client.connect();
        if (signal.aborted) break;
        const recovered = announcedWait;
        const lines = await this.runPendingWork();
        this.current = { state: 'up' };
        if (recovered) this.log([`MongoDB at ${this.label} answers`, ...lines].join('; '));
        announcedWait = false;
        this.backoff.reset();
        this.settleFirstAttempt();
        await topologyClosed;
      } catch (error) {
        if (isFatalSetupError(error)) {
          this.current = { state: 'down', reason: error.message };
          this.fatalError = error;
          this.failFatally(error);
          this.settleFirstAttempt();
          return;
        }
        const reason = connectionErrorReason(error);
        this.current = { state: 'down', reason };
        if (!announcedWait && !signal.aborted) {
          this.log(
            `waiting for MongoDB at ${this.label} (${reason}) — memory and tool caches wait or degrade until it answers`,
          );
          announcedWait = true;
        }
        this.settleFirstAttempt();
        await sleep(this.backoff.next(), signal);
      }
    }
    this.settleFirstAttempt();
  }

  /** Runs the registered work; unavailability is thrown (retried by the loop), other failures are reported and dropped. */
  private async runPendingWork(): Promise<string[]> {
    const lines: string[] = [];
    while (this.pending.length > 0) {
      const work = this.pending[0] as WorkWhenConnected;
      try {
        const line = await work.run(this.db);
        if (line !== undefined) lines.push(line);
      } catch (error) {
        if (isFatalSetupError(error) || isMongoUnavailable(error)) throw error;
        this.log(
          `warning: ${work.name} failed (${maskSecrets((error as Error).message)}); the worker goes on without it`,
        );
      }
      this.pending.shift();
    }
    return lines;
  }
}
