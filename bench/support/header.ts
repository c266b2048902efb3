import os from 'node:os';
import type { ChassisConfig } from '../../src/config/load-config';
import { maskUri } from '../../src/config/mask-secrets';

/** Where a benchmark's MongoDB is, for titles and results: the URI with its credentials masked. */
export function benchmarkMongoLocation(config: ChassisConfig): string {
  return maskUri(config.mongo.uri);
}

/**
 * The line every benchmark prints about what it ran against, e.g.
 * `Temporal: 127.0.0.1:7233; MongoDB: mongodb://user:***@db:27017/; 2 CPUs, Node v20.19.0`.
 * Results are only comparable on the same servers and machine; passwords never get printed.
 */
export function describeBenchmarkServers(config: ChassisConfig): string {
  return `Temporal: ${config.temporal.address}; MongoDB: ${benchmarkMongoLocation(config)}; ${os.cpus().length} CPUs, Node ${process.version}`;
}

/** The one-line error when a benchmark cannot reach MongoDB (the URI masked). */
export function mongoUnreachableError(config: ChassisConfig, error: Error): Error {
  return new Error(
    `cannot reach MongoDB at ${benchmarkMongoLocation(config)} (${error.message}): run "chassis dev up" to start the local stack, or set MONGODB_URI`,
  );
}
