import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDependencies } from '../../../src/activities';
import { dataConverterPlugin } from '../../../src/codec/codec-plugin';
import { loadConfig } from '../../../src/config/load-config';
import { createWorkers } from '../../../src/workers/create-workers';
import { installWorkerRuntime } from '../../../src/workers/install-runtime';

/** A client and the Chassis workers on a fresh task queue, all with one data converter. */
export interface CodecTestStack {
  client: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * `startTestStack` with a data converter: the real `createWorkers`, on connections that
 * carry the converter as a Temporal plugin (the wiring `chassis worker` gets too).
 */
export async function startCodecTestStack(options: {
  bundle: WorkflowBundleWithSourceMap;
  dependencies: ActivityDependencies;
  dataConverter: DataConverter;
}): Promise<CodecTestStack> {
  installWorkerRuntime('WARN');
  const config = loadConfig();
  const taskQueue = `test-codec-${randomUUID()}`;
  const plugins = [dataConverterPlugin(options.dataConverter)];
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address, plugins });
  const workers = await createWorkers({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue,
    dependencies: options.dependencies,
    workflowBundle: options.bundle,
  });
  const running = workers.run();
  const connection = await Connection.connect({ address: config.temporal.address, plugins });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    client,
    taskQueue,
    async stop() {
      workers.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
