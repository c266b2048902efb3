import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createModelActivities } from '../activities/model-activities';
import { createRememberActivities } from '../activities/remember-activities';
import { createRetentionActivities } from '../activities/retention-activities';
import { createToolActivities } from '../activities/tool-activities';
import { memoryActivitiesFor, type ActivityDependencies } from '../activities';
import { modelTaskQueueFor } from '../contracts/task-queues';
import type { WorkerVersioning } from '../config/worker-settings';
import type { WorkerTuning } from '../config/worker-tuning';
import { reportBreakerStates, type ChassisMetrics } from '../observability/chassis-metrics';
import { instrumentModelActivities, instrumentToolActivities } from '../observability/instrument-activities';
import type { Tracing } from '../observability/tracing';
import { createToolBreaker } from '../tools/tool-breaker';
import { modelWorkerTuning, workflowWorkerTuning } from './tuning-options';

/** Options for {@link createWorkers}. */
export interface CreateWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dependencies: ActivityDependencies;
  /** A prebuilt bundle (tests build one per file); else the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Provider-wide limit on model calls per second, enforced by the server across workers.
   * @default the model catalog's `limits.modelCallsPerSecond` (unlimited when unset)
   */
  modelCallsPerSecond?: number;
  /** @default the model catalog's `limits.maxConcurrentModelCalls` */
  maxConcurrentModelCalls?: number;
  /** Payload codecs (claim check, encryption); clients must use the same. @default none */
  dataConverter?: WorkerOptions['dataConverter'];
  /**
   * How long activities in flight may finish after a shutdown (Ctrl-C, or a worker that
   * failed) before they are cancelled and left to the server's retry. @default 0 (the SDK's)
   */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /**
   * Worker versioning: both workers join this Worker Deployment Version, so a workflow stays
   * on the code it started with (PINNED) while new tasks go to the deployment's current version.
   * @default unversioned
   */
  versioning?: WorkerVersioning;
  /**
   * Traces (the bundle must have been built with `tracing: true`) and Chassis's metrics.
   * @default neither
   */
  telemetry?: { tracing?: Tracing; metrics?: ChassisMetrics };
  /**
   * Pollers, workflow-task slots and the sticky cache (`maxCachedWorkflows: 0` makes every
   * workflow task replay its history: tests of replay). @default the SDK's
   */
  tuning?: WorkerTuning;
}

/** The workers of one process: workflows and tools on the task queue, model calls on their own queue. */
export interface ChassisWorkers {
  workers: Worker[];
  /** Runs every worker until shutdown; rejects if one fails. */
  run(): Promise<void>;
  shutdown(): void;
}

/** The SDK's deployment options for a version; nothing when unversioned. */
function deploymentOptions(versioning: WorkerVersioning | undefined): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (versioning === undefined) return {};
  return {
    workerDeploymentOptions: {
      version: { deploymentName: versioning.deploymentName, buildId: versioning.buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: versioning.defaultBehavior,
    },
  };
}

/**
 * Builds the two workers of a Chassis process. Model calls have their own task queue so
 * Temporal can rate-limit them globally (docs/architecture.md, decision 9).
 */
export async function createWorkers(options: CreateWorkersOptions): Promise<ChassisWorkers> {
  const workflowSource =
    options.workflowBundle !== undefined
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') };
  // Only when set: the SDK rejects an explicit undefined instead of using its default.
  const shutdown = options.shutdownGraceTime === undefined ? {} : { shutdownGraceTime: options.shutdownGraceTime };
  const versioning = deploymentOptions(options.versioning);
  const telemetry = options.telemetry ?? {};
  const tracingOptions = telemetry.tracing?.workerOptions() ?? {};
  const activityTelemetry = { tracing: telemetry.tracing !== undefined, metrics: telemetry.metrics };
  const instrumented = telemetry.tracing !== undefined || telemetry.metrics !== undefined;
  // The tool breakers are made here (not inside the runner) so their states can be reported.
  const dependencies = {
    ...options.dependencies,
    toolBreakers: options.dependencies.toolBreakers ?? createToolBreaker(),
  };
  const plainModelActivities = createModelActivities(dependencies);
  const modelActivities = instrumented
    ? instrumentModelActivities(plainModelActivities, activityTelemetry)
    : plainModelActivities;
  const toolActivities = instrumented
    ? instrumentToolActivities(createToolActivities(dependencies), activityTelemetry)
    : createToolActivities(dependencies);
  const limits = options.dependencies.models.catalog.limits;
  const modelCallsPerSecond = options.modelCallsPerSecond ?? limits.modelCallsPerSecond;
  const modelSlots = options.maxConcurrentModelCalls ?? limits.maxConcurrentModelCalls;
  const agentWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    ...shutdown,
    ...versioning,
    ...tracingOptions,
    ...workflowWorkerTuning(options.tuning),
    ...workflowSource,
    // describeModels is a cheap local read: serving it here keeps it out of the model queue's rate limit.
    activities: {
      ...toolActivities,
      ...memoryActivitiesFor(dependencies),
      ...createRememberActivities(),
      ...createRetentionActivities(dependencies),
      describeModels: modelActivities.describeModels,
    },
  });
  const modelWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: modelTaskQueueFor(options.taskQueue),
    dataConverter: options.dataConverter,
    ...shutdown,
    ...versioning,
    ...tracingOptions,
    // Activities only, by design: its own queue exists for the rate limit (see install-runtime.ts on the SDK's warning).
    activities: modelActivities,
    maxConcurrentActivityTaskExecutions: modelSlots,
    ...modelWorkerTuning(options.tuning, modelSlots),
    ...(modelCallsPerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: modelCallsPerSecond } : {}),
  });
  const workers = [agentWorker, modelWorker];
  return {
    workers,
    async run() {
      const metrics = telemetry.metrics;
      const stopReporting =
        metrics === undefined
          ? () => undefined
          : reportBreakerStates(metrics, { model: dependencies.models.breakers, tool: dependencies.toolBreakers });
      // If one worker dies, stop the other so the process does not limp on half-working,
      // and settle only when both have drained, so a restart never overlaps old activities.
      const outcomes = await Promise.allSettled(
        workers.map((worker) =>
          worker.run().catch((error: unknown) => {
            for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
            throw error;
          }),
        ),
      );
      stopReporting();
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
