import { ApplicationFailure, noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { ConfigError } from '../config/config-error';
import { FailureType } from '../contracts/failure-types';

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

const CHASSIS_FAILURE_TYPES: ReadonlySet<string> = new Set(Object.values(FailureType));

/**
 * The metadata of an SDK "Activity failed" entry, with a failure Chassis raised on purpose
 * (an `ApplicationFailure` of a {@link FailureType}) as one line, `type: message`, and
 * without the task token. Such a failure's message already says what happened and what to
 * do; its stack and its cause's stack are the same frames on every retry, and during a
 * MongoDB outage every task's every retry would print them. Any other error keeps its stack.
 */
export function condensedActivityFailure(meta: LogMetadata): LogMetadata {
  const error = meta.error;
  if (!(error instanceof ApplicationFailure) || !CHASSIS_FAILURE_TYPES.has(error.type ?? '')) return meta;
  const { taskToken: _taskToken, ...rest } = meta;
  return {
    ...rest,
    error: `${error.type}: ${error.message}${error.nonRetryable ? ' (not retried)' : ''}`,
  };
}

/**
 * The runtime's logger: the SDK's default logger with {@link EXPECTED_MESSAGES} at their
 * level and Chassis's own activity failures on one line ({@link condensedActivityFailure}).
 */
class WorkerRuntimeLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    super.log(
      level === 'WARN' ? (EXPECTED_MESSAGES.get(message) ?? level) : level,
      message,
      meta !== undefined && message === 'Activity failed' ? condensedActivityFailure(meta) : meta,
    );
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
export function installWorkerRuntime(
  level: LogLevel,
  logFunction?: (entry: LogEntry) => void,
  options: { metrics?: { host: string; port: number } } = {},
): void {
  if (installed) return;
  const metrics = options.metrics;
  try {
    Runtime.install({
      logger: new WorkerRuntimeLogger(level, logFunction),
      telemetryOptions: {
        logging: {
          filter: 'ERROR,temporalio_sdk_core=WARN,temporalio_common=WARN,temporalio_client=ERROR',
        },
        // One Prometheus endpoint for the SDK's metrics and Chassis's (created on the runtime's meter).
        ...(metrics === undefined ? {} : { metrics: prometheusExporter(metrics) }),
      },
    });
  } catch (error) {
    if (metrics !== undefined && !/already (been )?(installed|instantiated)/i.test((error as Error).message)) {
      throw new ConfigError(
        `CHASSIS_METRICS_PORT: cannot serve metrics on ${metrics.host}:${metrics.port} (${(error as Error).message.split('\n')[0]}): pick a free port`,
      );
    }
    // A runtime was already created in this process (e.g. by a library): keep it.
  }
  installed = true;
}

/** Cost buckets in USD: the default ones (50, 100, 500… as for milliseconds) would put every call in the first. */
const COST_BUCKETS_USD = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

function prometheusExporter(metrics: { host: string; port: number }) {
  const host = metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host;
  return {
    prometheus: {
      bindAddress: `${host}:${metrics.port}`,
      histogramBucketOverrides: { chassis_model_cost_usd: COST_BUCKETS_USD },
    },
  };
}

/** The runtime's metric meter when the process serves metrics; undefined otherwise. */
export function runtimeMetricMeter(): MetricMeter | undefined {
  const meter = Runtime.instance().metricMeter;
  return meter === noopMetricMeter ? undefined : meter;
}
