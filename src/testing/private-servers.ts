import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type ChassisConfig } from '../config/load-config';
import { waitForHealth } from '../stack/health';
import { findRunningProcess, startBackgroundProcess, stopBackgroundProcess } from '../stack/processes';
import {
  mongoService,
  temporalService,
  type ServiceDefinition,
  type ServiceName,
  type TemporalServiceOptions,
} from '../stack/services';

/**
 * A server of the local stack's kind (FerretDB or the Temporal dev server) on its own free
 * port and its own data folder, for tests and the chaos suite that stop, kill and restart
 * servers: the shared stack other tests use is never touched.
 */
export interface PrivateServer {
  readonly name: ServiceName;
  /** Where clients connect: `mongodb://127.0.0.1:PORT/` for MongoDB, `127.0.0.1:PORT` for Temporal. */
  readonly address: string;
  /** The Temporal Web UI of a private Temporal server. */
  readonly uiUrl?: string;
  /** Its own folder: data, pid file and log. */
  readonly home: string;
  /** The pid of the running server, or undefined while it is stopped. */
  pid(): number | undefined;
  /** Starts it (again) on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it gracefully (SIGTERM, then SIGKILL after a timeout). */
  stop(): Promise<void>;
  /** Kills it with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Options of {@link startPrivateMongo} and {@link startPrivateTemporal}. */
export interface PrivateServerOptions {
  /** @default a free port */
  port?: number;
  /** Start it now. @default true */
  start?: boolean;
  /** @default a new temporary folder */
  home?: string;
}

/** Options of {@link startPrivateTemporal}. */
export interface PrivateTemporalOptions extends PrivateServerOptions {
  /** Dynamic configuration merged over the project's (`temporalService`). @default none */
  dynamicConfig?: TemporalServiceOptions['dynamicConfig'];
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/** A FerretDB on its own port and SQLite folder. */
export async function startPrivateMongo(options: PrivateServerOptions = {}): Promise<PrivateServer> {
  const port = options.port ?? (await freePort());
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-private-mongo-'));
  const base = loadConfig({ CHASSIS_HOME: home });
  const config: ChassisConfig = { ...base, mongo: { ...base.mongo, uri: `mongodb://127.0.0.1:${port}/` } };
  return privateServer(mongoService(config), config, options.start ?? true);
}

/** A Temporal dev server on its own port, UI port and SQLite file. */
export async function startPrivateTemporal(options: PrivateTemporalOptions = {}): Promise<PrivateServer> {
  const port = options.port ?? (await freePort());
  const uiPort = await freePort();
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-private-temporal-'));
  const base = loadConfig({ CHASSIS_HOME: home });
  const config: ChassisConfig = {
    ...base,
    temporal: { ...base.temporal, address: `127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${uiPort}` },
  };
  return privateServer(
    temporalService(config, { dynamicConfig: options.dynamicConfig }),
    config,
    options.start ?? true,
  );
}

async function privateServer(service: ServiceDefinition, config: ChassisConfig, startNow: boolean) {
  const address = service.name === 'mongo' ? config.mongo.uri : config.temporal.address;
  const start = async () => {
    if (findRunningProcess(service.identity) !== undefined) return;
    const { command, arguments: commandArguments } = await service.prepare({
      logDirectory: path.join(config.home, 'logs'),
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    fs.mkdirSync(path.join(config.home, 'data'), { recursive: true });
    const started = startBackgroundProcess({
      name: service.identity.name,
      command,
      arguments: commandArguments,
      home: config.home,
    });
    await waitForHealth({
      label: `private ${service.label}`,
      address: service.listenAddress,
      probe: service.probe,
      timeoutMs: service.startTimeoutMs,
      logFile: started.logFile,
      exitDescription: started.exitDescription,
    });
    await service.afterHealthy?.();
  };
  const stop = async () => {
    await stopBackgroundProcess(service.identity, { timeoutMs: 10_000 });
  };
  const server: PrivateServer = {
    name: service.name,
    address,
    ...(service.uiUrl === undefined ? {} : { uiUrl: service.uiUrl }),
    home: config.home,
    pid: () => findRunningProcess(service.identity)?.pid,
    start,
    stop,
    async kill() {
      const running = findRunningProcess(service.identity);
      if (running === undefined) return;
      process.kill(running.pid, 'SIGKILL');
      // stopBackgroundProcess waits for the exit and removes the pid file.
      await stopBackgroundProcess(service.identity, { timeoutMs: 5_000 });
    },
    async dispose() {
      await stop();
      fs.rmSync(config.home, { recursive: true, force: true });
    },
  };
  if (startNow) await start();
  return server;
}
