import type { ClientOptions, ClientPlugin, ConnectionPlugin } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnectionPlugin, ReplayWorkerOptions, WorkerOptions, WorkerPlugin } from '@temporalio/worker';

/** A Temporal plugin that gives every client and worker built on a connection the same data converter. */
export type DataConverterPlugin = ClientPlugin & ConnectionPlugin & NativeConnectionPlugin & WorkerPlugin;

/**
 * Wraps a data converter as a Temporal plugin (SDK 1.24 plugins, experimental). Put it on
 * the connections, and everything built from them encodes and decodes the same way:
 *
 *     NativeConnection.connect({ address, plugins: [plugin] })  // → every Worker.create(...)
 *     Connection.connect({ address, plugins: [plugin] })        // → every new Client(...)
 *
 * so `createWorkers` and the CLI's clients need no new option. A converter passed
 * explicitly to a worker or client is replaced: one process, one converter.
 */
export function dataConverterPlugin(dataConverter: DataConverter): DataConverterPlugin {
  return {
    name: 'chassis.data-converter',
    configureClient: (options: Omit<ClientOptions, 'plugins'>) => ({ ...options, dataConverter }),
    configureWorker: (options: WorkerOptions) => ({ ...options, dataConverter }),
    configureReplayWorker: (options: ReplayWorkerOptions) => ({ ...options, dataConverter }),
  };
}
