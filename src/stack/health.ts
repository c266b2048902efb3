import net from 'node:net';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import type { HostPort } from './addresses';
import { formatHostPort, parseHostPort } from './addresses';
import { tailOfFile } from './processes';
import { StackError } from './stack-error';

/** The answer of one health probe. */
export type ProbeResult = { healthy: true } | { healthy: false; reason: string; listening: boolean };

/** True when a TCP connection to the address opens within the timeout. */
export function canConnectTcp(address: HostPort, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: address.host, port: address.port });
    const finish = (connected: boolean): void => {
      socket.destroy();
      resolve(connected);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Probes a Temporal frontend: a TCP connect first (fails in milliseconds when nothing
 * listens, where a gRPC connect would wait out its timeout), then real calls that need a
 * working server and the namespace.
 */
export async function probeTemporal(address: string, namespace: string, timeoutMs: number): Promise<ProbeResult> {
  if (!(await canConnectTcp(parseHostPort(address), Math.min(timeoutMs, 2_000)))) {
    return { healthy: false, reason: `nothing listens on ${address}`, listening: false };
  }
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    const activeConnection = connection;
    await connection.withDeadline(Date.now() + timeoutMs, async () => {
      await activeConnection.workflowService.getSystemInfo({});
      await activeConnection.workflowService.describeNamespace({ namespace });
    });
    return { healthy: true };
  } catch (error) {
    return { healthy: false, reason: describeError(error), listening: true };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Probes a MongoDB-wire server with the driver's `ping`. With `localAddress`, a TCP
 * connect comes first: the driver would otherwise retry a refused connection for the
 * whole server-selection timeout.
 */
export async function probeMongo(uri: string, timeoutMs: number, localAddress?: HostPort): Promise<ProbeResult> {
  if (localAddress !== undefined && !(await canConnectTcp(localAddress, Math.min(timeoutMs, 2_000)))) {
    return { healthy: false, reason: `nothing listens on ${formatHostPort(localAddress)}`, listening: false };
  }
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return { healthy: true };
  } catch (error) {
    const reason = describeError(error);
    return { healthy: false, reason, listening: localAddress !== undefined || !/ECONNREFUSED/.test(reason) };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** How long to wait, and what to say when a server does not come up. */
export interface WaitForHealthOptions {
  /** A human name, e.g. "Temporal dev server". */
  label: string;
  /** Where the server listens, for the error message. */
  address: HostPort;
  /** Total time to wait. */
  timeoutMs: number;
  /** One probe; called until it answers healthy or the time is up. */
  probe: (timeoutMs: number) => Promise<ProbeResult>;
  /** The server's log, named (with its last lines) in the error. */
  logFile?: string;
  /** How the started process ended, or `undefined` while it runs: stops the wait early. */
  exitDescription?: () => string | undefined;
}

/** Waits until the probe answers healthy; throws a {@link StackError} pointing at the log. */
export async function waitForHealth(options: WaitForHealthOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last: ProbeResult = { healthy: false, reason: 'not probed yet', listening: false };
  for (;;) {
    const remaining = deadline - Date.now();
    last = await options.probe(Math.max(1_000, Math.min(remaining, 5_000)));
    if (last.healthy) return;
    const ended = options.exitDescription?.();
    if (ended !== undefined) {
      throw new StackError(
        `${options.label} ${ended} before answering on ${formatHostPort(options.address)}${logHint(options.logFile)}`,
      );
    }
    if (Date.now() + 250 >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StackError(
    `${options.label} did not answer on ${formatHostPort(options.address)} within ${Math.round(options.timeoutMs / 1000)} s (${last.reason})${logHint(options.logFile)}`,
  );
}

function logHint(logFile: string | undefined): string {
  if (logFile === undefined) return '';
  // Only this run's lines: the log is appended to, and each start writes a "===" header.
  const lines = tailOfFile(logFile, 12).split('\n');
  const header = lines.map((line) => line.startsWith('=== ')).lastIndexOf(true);
  const tail = lines
    .slice(header + 1)
    .join('\n')
    .trim();
  return `: see ${logFile}${tail === '' ? '' : `; its last lines:\n${tail}`}`;
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
