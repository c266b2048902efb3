import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { ActivityDependencies } from '../activities';
import { dataConverterPlugin } from '../codec/codec-plugin';
import { loadConfig } from '../config/load-config';
import { clientConnectionOptions, nativeConnectionOptions } from '../config/temporal-connection';
import { createWorkers, type ChassisWorkers, type CreateWorkersOptions } from '../workers/create-workers';
import { installWorkerRuntime } from '../workers/install-runtime';

/**
 * Helpers for tests and benchmarks on the real Temporal dev server (started by the test
 * global setup or `chassis dev up`). Nothing here mocks Temporal.
 */

export { bundleWorkflows } from '../workers/bundle-workflows';

/** A client and workers on a unique task queue, torn down by `stop()`. */
export interface TestStack {
  client: Client;
  /**
   * A client on the workers' own native connection, for eager workflow start
   * (`requestEagerStart: true`): the server hands the first workflow task straight to this
   * process's worker in the start call's response. Same namespace and codecs as `client`.
   */
  eagerClient: Client;
  /** The workers' connection, for more workers in the same process (benchmarks). */
  nativeConnection: NativeConnection;
  taskQueue: string;
  workers: ChassisWorkers;
  stop(): Promise<void>;
}

/** Options of {@link startTestStack}. */
export interface TestStackOptions {
  bundle: WorkflowBundleWithSourceMap;
  dependencies: ActivityDependencies;
  modelCallsPerSecond?: number;
  /** Reuse a queue, e.g. to restart a worker under a waiting task. @default a fresh unique queue */
  taskQueue?: string;
  /** Payload codecs for the workers and the client, carried as a plugin on both connections. @default none */
  dataConverter?: DataConverter;
  /** @default `test` */
  taskQueuePrefix?: string;
  /** More worker options: versioning, tracing and metrics, a workflow cache size. @default none */
  workers?: Pick<CreateWorkersOptions, 'versioning' | 'telemetry' | 'tuning' | 'shutdownGraceTime'>;
}

/** Starts workers with the given dependencies on a fresh task queue of the configured server. */
export async function startTestStack(options: TestStackOptions): Promise<TestStack> {
  installWorkerRuntime('WARN');
  const config = loadConfig();
  const taskQueue = options.taskQueue ?? `${options.taskQueuePrefix ?? 'test'}-${randomUUID()}`;
  const plugins = options.dataConverter === undefined ? [] : [dataConverterPlugin(options.dataConverter)];
  const nativeConnection = await NativeConnection.connect({
    ...nativeConnectionOptions(config.temporal.connection),
    plugins,
  });
  const workers = await createWorkers({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue,
    dependencies: options.dependencies,
    workflowBundle: options.bundle,
    modelCallsPerSecond: options.modelCallsPerSecond,
    ...options.workers,
  });
  const running = workers.run();
  const connection = await Connection.connect({
    ...clientConnectionOptions(config.temporal.connection),
    plugins,
    // The SDK's 128 MB default sits under a key gRPC ignores, leaving 4 MB: too small for big histories.
    channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
  });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const eagerClient = new Client({ connection: nativeConnection, namespace: config.temporal.namespace });
  return {
    client,
    eagerClient,
    nativeConnection,
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
