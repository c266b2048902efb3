import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createModelActivities } from '../activities/model-activities';
import { createToolActivities } from '../activities/tool-activities';
import { memoryActivitiesFor, type ActivityDependencies } from '../activities';
import { modelTaskQueueFor } from '../contracts/task-queues';

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
}

/** The workers of one process: workflows and tools on the task queue, model calls on their own queue. */
export interface ChassisWorkers {
  workers: Worker[];
  /** Runs every worker until shutdown; rejects if one fails. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Builds the two workers of a Chassis process. Model calls have their own task queue so
 * Temporal can rate-limit them globally (DESIGN decision 9).
 */
export async function createWorkers(options: CreateWorkersOptions): Promise<ChassisWorkers> {
  const workflowSource =
    options.workflowBundle !== undefined
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') };
  // Only when set: the SDK rejects an explicit undefined instead of using its default.
  const shutdown = options.shutdownGraceTime === undefined ? {} : { shutdownGraceTime: options.shutdownGraceTime };
  const modelActivities = createModelActivities(options.dependencies);
  const limits = options.dependencies.models.catalog.limits;
  const modelCallsPerSecond = options.modelCallsPerSecond ?? limits.modelCallsPerSecond;
  const agentWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    ...shutdown,
    ...workflowSource,
    // describeModels is a cheap local read: serving it here keeps it out of the model queue's rate limit.
    activities: {
      ...createToolActivities(options.dependencies),
      ...memoryActivitiesFor(options.dependencies),
      describeModels: modelActivities.describeModels,
    },
  });
  const modelWorker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: modelTaskQueueFor(options.taskQueue),
    dataConverter: options.dataConverter,
    ...shutdown,
    // Activities only, by design: its own queue exists for the rate limit (see install-runtime.ts on the SDK's warning).
    activities: modelActivities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentModelCalls ?? limits.maxConcurrentModelCalls,
    ...(modelCallsPerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: modelCallsPerSecond } : {}),
  });
  const workers = [agentWorker, modelWorker];
  return {
    workers,
    async run() {
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
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
