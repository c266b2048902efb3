import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Sets the Temporal worker runtime's log level once per process. The demo, tests and
 * benchmarks use WARN so their output stays readable; `chassis worker` logs at INFO.
 * Must run before the first worker or native connection is created.
 */
export function installWorkerRuntime(level: LogLevel): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // A runtime was already created in this process (e.g. by a library): keep it.
  }
}
