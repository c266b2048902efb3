import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDependencies } from '../activities';
import { loadConfig } from '../config/load-config';
import { createWorkers, type ChassisWorkers } from '../workers/create-workers';
import { installWorkerRuntime } from '../workers/install-runtime';

/**
 * Helpers for tests and benchmarks on the real Temporal dev server (started by the test
 * global setup or `chassis dev up`). Nothing here mocks Temporal.
 */

/** Bundles the workflows once; share the bundle across the tests of a file. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: console.warn,
      error: console.error,
    },
  });
}

/** A client and workers on a unique task queue, torn down by `stop()`. */
export interface TestStack {
  client: Client;
  taskQueue: string;
  workers: ChassisWorkers;
  stop(): Promise<void>;
}

/** Starts workers with the given dependencies on a fresh task queue of the configured server. */
export async function startTestStack(options: {
  bundle: WorkflowBundleWithSourceMap;
  dependencies: ActivityDependencies;
  modelCallsPerSecond?: number;
  /** Reuse a queue, e.g. to restart a worker under a waiting task. @default a fresh unique queue */
  taskQueue?: string;
}): Promise<TestStack> {
  installWorkerRuntime('WARN');
  const config = loadConfig();
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await createWorkers({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue,
    dependencies: options.dependencies,
    workflowBundle: options.bundle,
    modelCallsPerSecond: options.modelCallsPerSecond,
  });
  const running = workers.run();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    client,
    taskQueue,
    workers,
    async stop() {
      workers.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
