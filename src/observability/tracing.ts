import { trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { WorkerOptions } from '@temporalio/worker';
import type { TracingSettings } from '../config/tracing-settings';

/** The module the workflow bundle includes so workflows trace themselves (their spans leave through a sink). */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Tracing in one process: what workers and clients add, and how to flush at the end. */
export interface Tracing {
  /** Interceptors and sinks for `Worker.create` (the bundle must include {@link WORKFLOW_TRACING_MODULE}). */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** For `new Client({ interceptors: { workflow } })`: a span around each workflow start, signal, query and update. */
  clientInterceptors(): WorkflowClientInterceptor[];
  /** Exports what is buffered and stops; call before the process ends. */
  shutdown(): Promise<void>;
}

let active: { tracing: Tracing; users: number } | undefined;

/**
 * Starts trace export for this process: a global tracer provider (so model and tool spans
 * started inside an activity become children of the activity's span), an OTLP/HTTP
 * exporter configured by the standard variables, and the Temporal interceptors that carry
 * the trace context client → workflow → child workflow → activity through headers.
 * Workflow spans are exported through a sink, which the SDK does not call while a workflow
 * replays, so a replayed history adds no spans. Once per process: later calls share the
 * first, and each caller calls `shutdown()` once.
 */
export function startTracing(settings: TracingSettings, defaultServiceName: string): Tracing {
  if (active !== undefined) {
    active.users += 1;
    return active.tracing;
  }
  const resource = new Resource({ 'service.name': settings.serviceName ?? defaultServiceName }).merge(
    envDetectorSync.detect(),
  );
  const exporter = settings.protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter();
  const spanProcessor: SpanProcessor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracing: Tracing = {
    workerOptions: () => ({
      interceptors: {
        activity: [
          (context) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(context),
            outbound: new OpenTelemetryActivityOutboundInterceptor(context),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    }),
    clientInterceptors: () => [new OpenTelemetryWorkflowClientInterceptor()],
    // A process with a worker and a client (the demo) shares one provider: the last user flushes it.
    async shutdown() {
      if (active === undefined || active.tracing !== tracing) return;
      active.users -= 1;
      if (active.users > 0) {
        await provider.forceFlush();
        return;
      }
      active = undefined;
      await provider.shutdown();
      trace.disable();
    },
  };
  active = { tracing, users: 1 };
  return tracing;
}

/** The tracer Chassis's own spans (model and tool calls) come from. */
export function chassisTracer() {
  return trace.getTracer('chassis');
}
