import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';

let installed = false;

/**
 * The SDK logs "No workflows registered" at WARN for any worker without workflows. The
 * model-call worker has none by design (its own task queue exists only so the server can
 * rate-limit model calls, and the SDK has no option to declare a worker activity-only), so
 * for Chassis it is the same kind of news as the SDK's "No Nexus services registered",
 * which the SDK itself logs at INFO. Only this exact message is lowered.
 */
const EXPECTED_MESSAGES: ReadonlyMap<string, LogLevel> = new Map([
  ['No workflows registered, not polling for workflow tasks', 'INFO'],
]);

/** The runtime's logger: the SDK's default logger with {@link EXPECTED_MESSAGES} at their level. */
class WorkerRuntimeLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    super.log(level === 'WARN' ? (EXPECTED_MESSAGES.get(message) ?? level) : level, message, meta);
  }
}

/**
 * Sets the Temporal worker runtime's log level once per process. The demo, tests,
 * benchmarks and `chassis worker` use WARN (the worker prints its own start-up block and
 * health line); `chassis worker --log-level info` shows the SDK's worker states too.
 * Must run before the first worker or native connection is created.
 *
 * The native client's per-retry warnings while Temporal is unreachable (several a second,
 * one per poller) are left out: the worker's health line says once that Temporal is down
 * and once that it is back. Everything else from the SDK's core still logs at WARN.
 */
export function installWorkerRuntime(level: LogLevel, logFunction?: (entry: LogEntry) => void): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: new WorkerRuntimeLogger(level, logFunction),
      telemetryOptions: {
        logging: {
          filter: 'ERROR,temporalio_sdk_core=WARN,temporalio_common=WARN,temporalio_client=ERROR',
        },
      },
    });
  } catch {
    // A runtime was already created in this process (e.g. by a library): keep it.
  }
}
