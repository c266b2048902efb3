import fs from 'node:fs';
import path from 'node:path';
import type { ChassisConfig } from '../config/load-config';
import { waitForHealth } from './health';
import { withStackLock } from './lock';
import { findRunningProcess, startBackgroundProcess, stopBackgroundProcess } from './processes';
import type { ServiceDefinition, ServiceName } from './services';
import { mongoService, temporalService } from './services';
import { StackError } from './stack-error';

/** What `stackUp` did for a service. */
export type ServiceAction =
  /** Started now by this call. */
  | 'started'
  /** Started earlier by Chassis (pid file under the home) and still answering. */
  | 'already-running'
  /** Something Chassis did not start answers on the default address; used as is. */
  | 'reused'
  /** The user pointed `TEMPORAL_ADDRESS` / `MONGODB_URI` at their own server. */
  | 'external';

/** The state of one service; plain JSON, printed by `chassis dev status --json`. */
export interface ServiceStatus {
  name: ServiceName;
  /** True when Chassis started it and owns its pid file (so `stackDown` stops it). */
  managed: boolean;
  /** True when the user configured the address: Chassis never starts or stops it. */
  external: boolean;
  /** True when it answered a health probe just now. */
  running: boolean;
  /** Where clients connect (a MongoDB URI is shown without its password). */
  address: string;
  pid?: number;
  /** The server's log file, for a managed service. */
  log?: string;
  /** The Temporal Web UI. */
  uiUrl?: string;
  /** Set by {@link stackUp}. */
  action?: ServiceAction;
  /** Why it is not running, when it is not. */
  problem?: string;
}

/** The state of the local stack: Temporal first, then MongoDB. */
export interface StackStatus {
  services: ServiceStatus[];
}

/** The status of one service, by name; throws if it is missing (it never is). */
export function findService(status: StackStatus, name: ServiceName): ServiceStatus {
  const service = status.services.find((candidate) => candidate.name === name);
  if (service === undefined) throw new Error(`no "${name}" in the stack status`);
  return service;
}

/** Options of {@link stackUp} and {@link stackDown}. */
export interface StackOptions {
  /**
   * Print nothing but warnings and the progress line of a first-time build (which takes
   * minutes, and silence would look like a hang).
   * @default false
   */
  quiet?: boolean;
  /** Where lines go. @default writes to stderr */
  report?: (line: string) => void;
}

/** Probe timeout when checking a server that should already be up. */
const QUICK_PROBE_MS = 3_000;

/**
 * Makes sure Temporal and a MongoDB-wire server answer: checks external ones, reuses
 * running ones, and builds and starts what is missing. Idempotent and fast when the stack
 * is up. Registers the custom search attributes on whichever Temporal answers.
 */
export async function stackUp(config: ChassisConfig, options: StackOptions = {}): Promise<StackStatus> {
  const report = options.report ?? writeLine;
  const info = options.quiet === true ? () => undefined : report;
  return withStackLock(
    config.home,
    async () => {
      const services = await settleAll([
        upService(temporalService(config), config, { info, report }),
        upService(mongoService(config), config, { info, report }),
      ]);
      return { services };
    },
    (holder) => info(`waiting for another "chassis dev up" or "dev down" (pid ${holder})…`),
  );
}

/**
 * Stops the servers Chassis started (by pid file). Servers it did not start, external or
 * reused, are left alone. Returns the status afterwards.
 */
export async function stackDown(config: ChassisConfig, options: StackOptions = {}): Promise<StackStatus> {
  const info = options.quiet === true ? () => undefined : (options.report ?? writeLine);
  return withStackLock(config.home, async () => {
    await Promise.all(
      [temporalService(config), mongoService(config)].map(async (service) => {
        if (service.external) {
          info(`${service.label}: external (${service.variable}), left alone`);
          return;
        }
        const outcome = await stopBackgroundProcess(service.identity);
        if (outcome.stopped) {
          info(
            `${service.label}: stopped (pid ${outcome.pid}${outcome.forced ? ', killed after SIGTERM timed out' : ''})`,
          );
        } else {
          info(`${service.label}: not started by Chassis, nothing to stop`);
        }
      }),
    );
    return stackStatus(config);
  });
}

/** Probes both services and reports who owns them. Starts and stops nothing. */
export async function stackStatus(config: ChassisConfig): Promise<StackStatus> {
  const services = await Promise.all([serviceStatus(temporalService(config)), serviceStatus(mongoService(config))]);
  return { services };
}

async function serviceStatus(service: ServiceDefinition): Promise<ServiceStatus> {
  const running = service.external ? undefined : findRunningProcess(service.identity);
  const probe = await service.probe(QUICK_PROBE_MS);
  return {
    ...baseStatus(service),
    managed: running !== undefined,
    running: probe.healthy,
    ...(running === undefined ? {} : { pid: running.pid, log: running.logFile }),
    ...(probe.healthy ? {} : { problem: probe.reason }),
  };
}

interface Reporters {
  /** Normal progress, silenced by `quiet`. */
  info: (line: string) => void;
  /** Warnings and build progress, always shown. */
  report: (line: string) => void;
}

async function upService(
  service: ServiceDefinition,
  config: ChassisConfig,
  reporters: Reporters,
): Promise<ServiceStatus> {
  if (service.external) {
    const probe = await service.probe(5_000);
    if (!probe.healthy) {
      throw new StackError(
        `${service.variable} points at ${service.address}, but no ${service.kind} answers there (${probe.reason}): start it, or unset ${service.variable} so "chassis dev up" starts a local one`,
      );
    }
    // A server we do not own may refuse operator calls (Temporal Cloud does): warn, go on.
    await afterHealthy(service, reporters).catch((error: unknown) =>
      reporters.report(`warning: ${service.label} at ${service.address}: ${(error as Error).message}`),
    );
    reporters.info(`${service.label}: external, answering on ${service.address}`);
    return { ...baseStatus(service), running: true, action: 'external' };
  }

  const owned = findRunningProcess(service.identity);
  if (owned !== undefined) {
    // Started earlier by us; it may still be starting if its starter was interrupted.
    await waitForHealth({ ...waitOptions(service), timeoutMs: service.startTimeoutMs, logFile: owned.logFile });
    await afterHealthy(service, reporters);
    reporters.info(`${service.label}: already running (pid ${owned.pid}) on ${service.address}`);
    return {
      ...baseStatus(service),
      managed: true,
      running: true,
      pid: owned.pid,
      log: owned.logFile,
      action: 'already-running',
    };
  }

  const probe = await service.probe(QUICK_PROBE_MS);
  if (probe.healthy) {
    await afterHealthy(service, reporters);
    reporters.info(
      `${service.label}: reusing the server already answering on ${service.address} (not started by Chassis)`,
    );
    return { ...baseStatus(service), running: true, action: 'reused' };
  }
  if (probe.listening) {
    throw new StackError(
      `something listens on ${service.address} but it is not a working ${service.kind} (${probe.reason}): stop it, or set ${service.variable} to a server of your own`,
    );
  }

  const { command, arguments: commandArguments } = await service.prepare({
    logDirectory: path.join(config.home, 'logs'),
    onProgress: reporters.report,
  });
  fs.mkdirSync(path.join(config.home, 'data'), { recursive: true });
  const started = startBackgroundProcess({
    name: service.identity.name,
    command,
    arguments: commandArguments,
    home: config.home,
  });
  try {
    await waitForHealth({
      ...waitOptions(service),
      timeoutMs: service.startTimeoutMs,
      logFile: started.logFile,
      exitDescription: started.exitDescription,
    });
  } catch (error) {
    // Another clone (another home) may have taken the port in between: use its server.
    if (started.exitDescription() !== undefined && (await service.probe(QUICK_PROBE_MS)).healthy) {
      fs.rmSync(started.pidFile, { force: true });
      await afterHealthy(service, reporters);
      reporters.info(`${service.label}: reusing the server another process started on ${service.address}`);
      return { ...baseStatus(service), running: true, action: 'reused' };
    }
    // A server that never answered is stopped, so the next attempt starts clean.
    await stopBackgroundProcess(service.identity, { timeoutMs: 5_000 });
    throw error;
  }
  await afterHealthy(service, reporters);
  reporters.info(
    `${service.label}: started (pid ${started.pid}) on ${service.address}${service.uiUrl === undefined ? '' : `, UI ${service.uiUrl}`}; log ${started.logFile}`,
  );
  return {
    ...baseStatus(service),
    managed: true,
    running: true,
    pid: started.pid,
    log: started.logFile,
    action: 'started',
  };
}

async function afterHealthy(service: ServiceDefinition, reporters: Reporters): Promise<void> {
  const done = await service.afterHealthy?.();
  if (done !== undefined) reporters.info(`${service.label}: ${done}`);
}

function waitOptions(service: ServiceDefinition): {
  label: string;
  address: ServiceDefinition['listenAddress'];
  probe: ServiceDefinition['probe'];
} {
  return { label: service.label, address: service.listenAddress, probe: service.probe };
}

function baseStatus(service: ServiceDefinition): ServiceStatus {
  return {
    name: service.name,
    managed: false,
    external: service.external,
    running: false,
    address: service.address,
    ...(service.uiUrl === undefined ? {} : { uiUrl: service.uiUrl }),
  };
}

/**
 * Waits for every service, so one failure does not hide the other's; throws all distinct
 * errors (a missing Go fails both services with the same message).
 */
async function settleAll(pending: Promise<ServiceStatus>[]): Promise<ServiceStatus[]> {
  const results = await Promise.allSettled(pending);
  const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (errors.length === 0) {
    return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }
  const messages = [...new Set(errors.map((error) => (error instanceof Error ? error.message : String(error))))];
  if (messages.length === 1) throw errors[0];
  throw new StackError(messages.join('\n'));
}

function writeLine(line: string): void {
  process.stderr.write(`${line}\n`);
}
