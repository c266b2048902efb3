import { randomUUID } from 'node:crypto';
import {
  bundleWorkflowCode,
  Worker,
  type NativeConnection,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { quietLogger } from '../../../src/observability/quiet-logger';
import { createPlainActivities, type PlainActivityDependencies } from './plain-activities';

/** A worker for the plain workflows on its own task queue, torn down by `stop()`. */
export interface PlainWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * Starts a worker for the plain workflows with the SDK's default settings on a fresh task
 * queue of `connection`'s server; `workerOptions` override them (e.g. the same tuning as
 * Chassis, for a like-for-like row).
 */
export async function startPlainWorker(options: {
  connection: NativeConnection;
  namespace: string;
  dependencies: PlainActivityDependencies;
  workerOptions?: Partial<WorkerOptions>;
  /** A bundle of `plain-workflows` shared by several workers. @default bundled here */
  workflowBundle?: WorkflowBundleWithSourceMap;
}): Promise<PlainWorker> {
  const taskQueue = `bench-plain-${randomUUID()}`;
  const workflowBundle =
    options.workflowBundle ??
    (await bundleWorkflowCode({ workflowsPath: require.resolve('./plain-workflows'), logger: quietLogger() }));
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    workflowBundle,
    activities: createPlainActivities(options.dependencies),
    ...options.workerOptions,
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
