import { NativeConnection, type LogLevel } from '@temporalio/worker';
import type { ChassisConfig } from '../config/load-config';
import { buildDependencies } from './build-dependencies';
import { createWorkers, type ChassisWorkers } from './create-workers';
import { installWorkerRuntime } from './install-runtime';

/** A started worker process: its workers and how to stop them and their dependencies. */
export interface StartedWorker {
  workers: ChassisWorkers;
  /** Resolves when the workers stop (after `stop()` or a fatal error). */
  running: Promise<void>;
  offlineNotice?: string;
  stop(): Promise<void>;
}

/** Connects to Temporal, builds dependencies once and starts the workers. */
export async function startWorker(
  config: ChassisConfig,
  options: { logLevel?: LogLevel } = {},
): Promise<StartedWorker> {
  installWorkerRuntime(options.logLevel ?? 'INFO');
  const built = await buildDependencies(config);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: config.temporal.address });
  } catch (error) {
    await built.close();
    throw error;
  }
  let workers: ChassisWorkers;
  try {
    workers = await createWorkers({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      dependencies: built.dependencies,
      dataConverter: built.dataConverter,
    });
  } catch (error) {
    await connection.close();
    await built.close();
    throw error;
  }
  const running = workers.run().finally(async () => {
    await connection.close();
    await built.close();
  });
  return {
    workers,
    running,
    offlineNotice: built.offlineNotice,
    async stop() {
      workers.shutdown();
      await running;
    },
  };
}
