import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { KeyedCircuitBreaker } from '../resilience/keyed-circuit-breaker';

/** Chassis's own worker metrics, exported with the Temporal runtime's on the same Prometheus endpoint. */
export interface ChassisMetrics {
  /** `chassis_model_calls{model, tier, outcome}`: outcome `ok`, `cached` or the failure type. */
  modelCalls: MetricCounter;
  /** `chassis_model_tokens{model, tier, kind}`: kind `input`, `cached_input` or `output`. */
  modelTokens: MetricCounter;
  /** `chassis_model_cost_usd{model, tier}`: one observation per call; its `_sum` is the money spent. */
  modelCostUsd: MetricHistogram;
  /** `chassis_model_latency{model, tier}` in milliseconds. */
  modelLatency: MetricHistogram;
  /** `chassis_tool_calls{tool, outcome, cached}`: outcome `ok`, or the observation's or failure's type. */
  toolCalls: MetricCounter;
  /** `chassis_circuit_breaker_state{kind, key}`: 0 closed, 1 half-open, 2 open. */
  breakerState: MetricGauge;
}

/** Creates the instruments on a meter (the runtime's: `Runtime.instance().metricMeter`). */
export function createChassisMetrics(meter: MetricMeter): ChassisMetrics {
  return {
    modelCalls: meter.createCounter('chassis_model_calls', undefined, 'Model calls by model, tier and outcome'),
    modelTokens: meter.createCounter('chassis_model_tokens', undefined, 'Tokens of model calls by kind'),
    modelCostUsd: meter.createHistogram('chassis_model_cost_usd', 'float', 'USD', 'Cost of each model call'),
    modelLatency: meter.createHistogram('chassis_model_latency', 'int', 'ms', 'Duration of each model call'),
    toolCalls: meter.createCounter('chassis_tool_calls', undefined, 'Tool calls by tool and outcome'),
    breakerState: meter.createGauge(
      'chassis_circuit_breaker_state',
      'int',
      undefined,
      'Circuit breakers of this worker: 0 closed, 1 half-open, 2 open',
    ),
  };
}

const STATE_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Sets the breaker gauge for every key the breakers know, now and every `intervalMs`
 * (an open breaker half-opens by the clock, without a call to notice it).
 *
 * @returns a function that stops the refresh
 */
export function reportBreakerStates(
  metrics: ChassisMetrics,
  breakers: Record<'model' | 'tool', KeyedCircuitBreaker>,
  intervalMs = 5_000,
): () => void {
  const refresh = () => {
    for (const [kind, breaker] of Object.entries(breakers)) {
      for (const key of breaker.keys()) metrics.breakerState.set(STATE_VALUES[breaker.state(key)], { kind, key });
    }
  };
  refresh();
  const timer = setInterval(refresh, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
