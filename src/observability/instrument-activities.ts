import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import type { ModelCallInput, ModelCallResult, ToolCallInput } from '../contracts/activities';
import type { ToolRunResult } from '../tools/tool-result';
import type { ChassisMetrics } from './chassis-metrics';
import { chassisTracer } from './tracing';

/** What the activity wrappers report to; each part is optional. */
export interface ActivityTelemetry {
  /** Start a span per model and tool call, a child of the activity's span. */
  tracing: boolean;
  metrics: ChassisMetrics | undefined;
}

/** The failure type of an error: an `ApplicationFailure`'s `type`, else its name. */
function failureType(error: unknown): string {
  const type = (error as { type?: unknown }).type;
  if (typeof type === 'string' && type !== '') return type;
  return error instanceof Error ? error.name : 'Error';
}

function recordFailure(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  span.setAttribute('error.type', failureType(error));
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `run` inside a span (when tracing) and ends it; `after` sees the result or the error. */
async function withSpan<T>(
  telemetry: ActivityTelemetry,
  name: string,
  attributes: Attributes,
  run: () => Promise<T>,
  after: (span: Span | undefined, outcome: { result: T } | { error: unknown }) => void,
): Promise<T> {
  const execute = async (span: Span | undefined) => {
    let result: T;
    try {
      result = await run();
    } catch (error) {
      recordFailure(span, error);
      after(span, { error });
      throw error;
    }
    // Before the span ends, so the attributes `after` sets are exported.
    after(span, { result });
    return result;
  };
  if (!telemetry.tracing) return execute(undefined);
  return chassisTracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await execute(span);
    } finally {
      span.end();
    }
  });
}

/**
 * Wraps `callModel` so every model call gets a span with OpenTelemetry's generative-AI
 * attributes (`gen_ai.request.model`, `gen_ai.usage.input_tokens`/`output_tokens`) plus
 * tier, purpose, cost and cache hit, and feeds the model metrics.
 */
export function instrumentModelActivities<T extends { callModel(input: ModelCallInput): Promise<ModelCallResult> }>(
  activities: T,
  telemetry: ActivityTelemetry,
): T {
  const callModel = activities.callModel.bind(activities);
  return {
    ...activities,
    async callModel(input: ModelCallInput): Promise<ModelCallResult> {
      const tier = input.route?.tier ?? 'pinned';
      const tags = { model: input.model, tier };
      const started = Date.now();
      return withSpan(
        telemetry,
        `chat ${input.model}`,
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': input.model,
          'chassis.model.tier': tier,
          ...(input.purpose === undefined ? {} : { 'chassis.model.purpose': input.purpose }),
          ...(input.maxOutputTokens === undefined ? {} : { 'gen_ai.request.max_tokens': input.maxOutputTokens }),
          ...(input.temperature === undefined ? {} : { 'gen_ai.request.temperature': input.temperature }),
        },
        () => callModel(input),
        (span, outcome) => {
          const metrics = telemetry.metrics;
          if ('error' in outcome) {
            metrics?.modelCalls.add(1, { ...tags, outcome: failureType(outcome.error) });
            return;
          }
          const { result } = outcome;
          span?.setAttributes({
            'gen_ai.response.model': result.model,
            'gen_ai.response.finish_reasons': [result.finishReason],
            'gen_ai.usage.input_tokens': result.usage.inputTokens,
            'gen_ai.usage.output_tokens': result.usage.outputTokens,
            'chassis.usage.cached_input_tokens': result.usage.cachedInputTokens,
            'chassis.cost_usd': result.costUsd,
            'chassis.model.cached': result.cached === true,
          });
          if (metrics === undefined) return;
          metrics.modelCalls.add(1, { ...tags, outcome: result.cached === true ? 'cached' : 'ok' });
          metrics.modelTokens.add(result.usage.inputTokens, { ...tags, kind: 'input' });
          metrics.modelTokens.add(result.usage.cachedInputTokens, { ...tags, kind: 'cached_input' });
          metrics.modelTokens.add(result.usage.outputTokens, { ...tags, kind: 'output' });
          metrics.modelCostUsd.record(result.costUsd, tags);
          metrics.modelLatency.record(Math.max(0, Date.now() - started), tags);
        },
      );
    },
  };
}

/**
 * Wraps `callTool` so every tool call gets a span (`execute_tool <name>`: tool, call id,
 * cached, outcome) and feeds the tool-call counter.
 */
export function instrumentToolActivities<T extends { callTool(input: ToolCallInput): Promise<ToolRunResult> }>(
  activities: T,
  telemetry: ActivityTelemetry,
): T {
  const callTool = activities.callTool.bind(activities);
  return {
    ...activities,
    async callTool(input: ToolCallInput): Promise<ToolRunResult> {
      const tool = input.call.name;
      return withSpan(
        telemetry,
        `execute_tool ${tool}`,
        { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool, 'gen_ai.tool.call.id': input.call.id },
        () => callTool(input),
        (span, outcome) => {
          const cached = 'result' in outcome && outcome.result.ok && outcome.result.cached === true;
          const result = 'result' in outcome ? outcome.result : undefined;
          const status =
            result === undefined
              ? failureType((outcome as { error: unknown }).error)
              : result.ok
                ? 'ok'
                : result.error.type;
          span?.setAttributes({ 'chassis.tool.cached': cached, 'chassis.tool.outcome': status });
          telemetry.metrics?.toolCalls.add(1, { tool, outcome: status, cached: String(cached) });
        },
      );
    },
  };
}
