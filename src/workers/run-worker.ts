import { Client } from '@temporalio/client';
import { NativeConnection, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ChassisConfig } from '../config/load-config';
import type { WorkerTuning } from '../config/worker-tuning';
import { describeTemporalSecurity, nativeConnectionOptions } from '../config/temporal-connection';
import { modelTaskQueueFor } from '../contracts/task-queues';
import { buildDependencies, type BuildDependenciesOptions, type BuiltDependencies } from './build-dependencies';
import { bundleWorkflows } from './bundle-workflows';
import { createWorkers } from './create-workers';
import { HealthMonitor } from './health-monitor';
import { installWorkerRuntime, runtimeMetricMeter } from './install-runtime';
import { maskUri } from '../config/mask-secrets';
import { createChassisMetrics } from '../observability/chassis-metrics';
import { startTracing } from '../observability/tracing';
import { probeModelEndpoints } from './model-endpoints';
import { ensureRetentionScheduleOnceReady } from './retention-schedule-at-start';
import { retentionScheduleId } from '../lifecycle/retention-schedule';
import { formatStartupSummary, type StartupSummary } from './startup-summary';
import { WorkerSupervisor } from './worker-supervisor';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** The Temporal SDK's log level. @default 'WARN' */
  logLevel?: LogLevel;
  /** Where the start-up block, what the worker waits for and its health go. @default lines on stderr */
  log?: (line: string) => void;
  /** Print the start-up block and the health line (at start and on every change). @default false */
  report?: boolean;
  /** Time between health probes. @default 5000 */
  healthIntervalMs?: number;
  /** Starts the model used when no key or base URL is set (see {@link BuildDependenciesOptions}). */
  startOfflineModel?: BuildDependenciesOptions['startOfflineModel'];
}

/** A started worker process: its workers and how to stop them and their dependencies. */
export interface StartedWorker {
  /** Resolves once the workers poll Temporal (it may be down at start); rejects if the worker ends first. */
  ready: Promise<void>;
  /** Resolves when the workers stop (after `stop()`); rejects on a problem no retry can fix. */
  running: Promise<void>;
  offlineNotice?: string;
  /**
   * A client on the workers' own connection, with their codecs, once connected: a task it
   * starts with `requestEagerStart` gets its first workflow task handed to this process in
   * the start call's response, with no trip through matching. For a client in the same
   * process only (the demo).
   */
  eagerClient(): Client | undefined;
  stop(): Promise<void>;
}

/** The names of the workflows the worker serves, from the one `workflowsPath`. */
function workflowNames(): string[] {
  return Object.keys(require('../workflows') as Record<string, unknown>);
}

function startupSummary(config: ChassisConfig, built: BuiltDependencies): StartupSummary {
  const security = describeTemporalSecurity(config.temporal.connection);
  const catalog = built.catalog;
  const mongo = built.mongo.state();
  const offline = built.modelEndpoints.find((endpoint) => endpoint.name === 'scripted');
  return {
    temporal: {
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      ...(security === 'plain text' ? {} : { security }),
    },
    taskQueue: config.temporal.taskQueue,
    workflows: workflowNames(),
    tools: built.dependencies.tools.names(),
    modelQueue: {
      name: modelTaskQueueFor(config.temporal.taskQueue),
      maxConcurrentCalls: catalog.limits.maxConcurrentModelCalls,
      ...(catalog.limits.modelCallsPerSecond === undefined
        ? {}
        : { callsPerSecond: catalog.limits.modelCallsPerSecond }),
    },
    models:
      offline !== undefined
        ? { kind: 'offline', baseUrl: offline.baseUrl }
        : {
            kind: 'endpoints',
            ...(config.models.pinned === undefined ? {} : { pinned: config.models.pinned }),
            catalog: config.models.catalogPath ?? 'config/models.json (built in)',
            tiers: catalog.tiers,
            endpoints: built.modelEndpoints.map((endpoint) => ({
              name: endpoint.name,
              location: endpoint.baseUrl,
              ...(endpoint.keyVariable === undefined ? {} : { keyVariable: endpoint.keyVariable }),
              keySet: endpoint.apiKey !== undefined,
            })),
          },
    operations: operationLines(config),
    memory: {
      server: built.mongo.label,
      database: config.mongo.database,
      embedder: built.memory.embedder,
      embeddingsCached: built.memory.embeddingsCached,
      vectorSearch: config.memory.vectorSearch,
      ...(built.memory.capabilities() === undefined ? {} : { notes: built.memory.capabilities()?.notes }),
      ...(mongo.state === 'up' ? {} : { waiting: true }),
    },
  };
}

/** The tuning variables that are set, in one line; nothing when all are at their defaults. */
function describeTuning(tuning: WorkerTuning): string | undefined {
  const parts = [
    tuning.workflowPollers === undefined ? undefined : `${tuning.workflowPollers} workflow pollers`,
    tuning.activityPollers === undefined ? undefined : `${tuning.activityPollers} activity pollers`,
    tuning.workflowTaskSlots === undefined ? undefined : `${tuning.workflowTaskSlots} workflow-task slots`,
    tuning.maxCachedWorkflows === undefined ? undefined : `${tuning.maxCachedWorkflows} cached workflows`,
  ].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? undefined : `tuning: ${parts.join(', ')}`;
}

/** Versioning, tuning, tracing and metrics, as the start-up block says them. */
function operationLines(config: ChassisConfig): string[] {
  const lines: string[] = [];
  const versioning = config.worker.versioning;
  if (versioning !== undefined) {
    lines.push(
      `worker deployment "${versioning.deploymentName}", build "${versioning.buildId}" (${versioning.defaultBehavior === 'PINNED' ? 'tasks stay on the version they started on' : 'running tasks move to the current version'})`,
    );
  }
  if (config.worker.metrics !== undefined) {
    const { host, port } = config.worker.metrics;
    lines.push(
      `metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics (Temporal's and Chassis's, Prometheus format)`,
    );
  }
  const tuning = describeTuning(config.worker.tuning);
  if (tuning !== undefined) lines.push(tuning);
  if (config.tracing !== undefined) {
    const endpoint =
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      'http://localhost:4318';
    lines.push(`traces to ${maskUri(endpoint)} (OTLP ${config.tracing.protocol})`);
  }
  const retention = config.retention;
  const days = Math.round((retention.retentionMs / 86_400_000) * 100) / 100;
  lines.push(
    retention.schedule === 'off'
      ? `retention ${days} days, no schedule (CHASSIS_RETENTION_SCHEDULE=off): run "chassis gc" to sweep`
      : `retention ${days} days, swept ${retention.schedule} by schedule ${retentionScheduleId(config.temporal.taskQueue)}`,
  );
  return lines;
}

/** The health line's probes: Temporal through the supervisor, MongoDB through the worker's client, the model endpoints. */
function healthMonitor(
  built: BuiltDependencies,
  supervisor: WorkerSupervisor,
  log: (line: string) => void,
  intervalMs: number | undefined,
): HealthMonitor {
  return new HealthMonitor({
    intervalMs,
    onChange: (line) => log(line),
    probes: [
      { component: 'temporal', probe: () => supervisor.probe() },
      {
        component: 'mongodb',
        probe: async () => {
          try {
            await built.mongo.ping();
            return { ok: true };
          } catch (error) {
            // Between reconnection attempts the driver only says "Topology is closed": the attempt knows why.
            const connection = built.mongo.state();
            if (connection.state === 'down') return { ok: false, detail: connection.reason };
            throw error;
          }
        },
      },
      // A provider is not asked every few seconds while it answers.
      { component: 'models', intervalMs: 60_000, probe: () => probeModelEndpoints(built.modelEndpoints) },
    ],
  });
}

/**
 * Starts a worker process's workers and keeps them running: builds the dependencies once,
 * connects to MongoDB and Temporal in the background (each may be down at start, or go
 * away and come back later: the worker waits, says what it waits for, and works as soon
 * as they answer), bundles the workflows once, and restarts the workers if they fail.
 */
export async function startWorker(config: ChassisConfig, options: StartWorkerOptions = {}): Promise<StartedWorker> {
  installWorkerRuntime(options.logLevel ?? 'WARN', undefined, { metrics: config.worker.metrics });
  const meter = config.worker.metrics === undefined ? undefined : runtimeMetricMeter();
  const metrics = meter === undefined ? undefined : createChassisMetrics(meter);
  const tracing = config.tracing === undefined ? undefined : startTracing(config.tracing, 'chassis-worker');
  const print = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // With a start-up block, what the connections say before it is printed comes after it.
  const early: string[] = [];
  let holdEarlyLines = options.report === true;
  const log = (line: string) => (holdEarlyLines ? early.push(line) : print(line));
  const built = await buildDependencies(config, { log, startOfflineModel: options.startOfflineModel });
  let workflowBundle: WorkflowBundleWithSourceMap | undefined;
  const supervisor = new WorkerSupervisor({
    address: config.temporal.address,
    log,
    connect: () => NativeConnection.connect(nativeConnectionOptions(config.temporal.connection)),
    createWorkers: (connection) =>
      createWorkers({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        dependencies: built.dependencies,
        dataConverter: built.dataConverter,
        workflowBundle,
        // Activities in flight get this long to finish after SIGTERM, Ctrl-C or a failed worker,
        // before they are cancelled and the server retries them elsewhere.
        shutdownGraceTime: config.worker.shutdownGraceMs,
        versioning: config.worker.versioning,
        telemetry: { tracing, metrics },
        tuning: config.worker.tuning,
      }),
  });
  let monitor: HealthMonitor | undefined;
  let supervised: Promise<void> | undefined;
  try {
    // Bundled once, while MongoDB is being reached: a restart of the workers reuses it.
    [workflowBundle] = await Promise.all([
      bundleWorkflows({
        tracing: tracing !== undefined,
        metrics: metrics !== undefined,
        failureConverterPath: built.dataConverter.failureConverterPath,
      }),
      built.mongo.firstAttempt,
    ]);
    // A setup problem found at once (CHASSIS_VECTOR_SEARCH=atlas without Atlas Search) ends the start here.
    const setupFailure = built.mongo.failure();
    if (setupFailure !== undefined) throw setupFailure;
    if (options.report === true) {
      for (const line of formatStartupSummary(startupSummary(config, built))) print(line);
      holdEarlyLines = false;
      for (const line of early.splice(0)) print(line);
    }
    const run = supervisor.run();
    supervised = run;
    if (options.report === true) {
      // The first health line says what the first attempts found, not "connecting".
      await supervisor.firstAttempt;
      monitor = healthMonitor(built, supervisor, log, options.healthIntervalMs);
      await monitor.start();
    }
    const startedMonitor = monitor;
    const running = Promise.race([run, built.mongo.fatal]).finally(async () => {
      startedMonitor?.stop();
      supervisor.stop();
      await run.catch(() => undefined);
      await built.close();
      // Last, so the spans of the activities that drained are exported.
      await tracing?.shutdown().catch(() => undefined);
    });
    const ready = Promise.race([
      supervisor.ready,
      running.then(() => {
        throw new Error('the worker stopped before it started polling');
      }),
    ]);
    // Callers that only await `running` must not see an unhandled rejection from `ready`.
    ready.catch(() => undefined);
    const workerClient = () => {
      const connection = supervisor.currentConnection();
      return connection === undefined
        ? undefined
        : new Client({ connection, namespace: config.temporal.namespace, dataConverter: built.dataConverter });
    };
    void ensureRetentionScheduleOnceReady({
      ready,
      client: workerClient,
      taskQueue: config.temporal.taskQueue,
      every: config.retention.schedule,
      log,
    });
    return {
      ready,
      running,
      offlineNotice: built.offlineNotice,
      eagerClient: workerClient,
      async stop() {
        supervisor.stop();
        await running.catch(() => undefined);
      },
    };
  } catch (error) {
    monitor?.stop();
    supervisor.stop();
    await supervised?.catch(() => undefined);
    for (const line of early.splice(0)) print(line);
    await built.close();
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  }
}
