import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { quietLogger } from '../observability/quiet-logger';
import { WORKFLOW_TRACING_MODULE } from '../observability/tracing';

/** What to bundle with the workflows: interceptor modules, the failure converter. */
export interface BundleOptions {
  /** Workflows trace themselves (OpenTelemetry). @default false */
  tracing?: boolean;
  /** Finished tasks are counted on the metrics endpoint. @default false */
  metrics?: boolean;
  /**
   * The data converter's `failureConverterPath`, compiled into the sandbox (with encryption
   * on, `createDataConverter` sets one that encodes failure messages). @default the SDK's
   */
  failureConverterPath?: string;
}

/** The workflow interceptor modules for these options. */
export function workflowInterceptorModules(options: BundleOptions = {}): string[] {
  return [
    ...(options.tracing === true ? [WORKFLOW_TRACING_MODULE] : []),
    ...(options.metrics === true ? [require.resolve('../workflows/telemetry/task-metrics-interceptor')] : []),
  ];
}

/**
 * Bundles the workflows (the one `workflowsPath`) once. A worker process reuses the bundle
 * when it restarts its workers; tests share one per file. Interceptor modules go in here,
 * because a worker given a prebuilt bundle ignores `interceptors.workflowModules`.
 */
export function bundleWorkflows(options: BundleOptions = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: workflowInterceptorModules(options),
    // The bundler's progress lines are noise for workers, tests and benchmarks: warnings and errors only.
    logger: quietLogger('WARN'),
    ...(options.failureConverterPath !== undefined ? { failureConverterPath: options.failureConverterPath } : {}),
  });
}
