import type { HistoryRow, OrchestrationRow, OverheadRow, SearchRow, ThroughputRow } from './chart-data';
import { OVERHEAD_VARIANT_LABELS } from './chart-data';
import type { VegaLiteSpec } from './render-svg';

/**
 * Vega-Lite specifications of the report's charts. Data is inline, so each spec renders on
 * its own; sizes are fixed so the SVGs line up in the README.
 */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 420;
const HEIGHT = 240;

function base(title: string, subtitle?: string): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: subtitle === undefined ? title : { text: title, subtitle },
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: 'sans-serif', view: { stroke: null } },
  };
}

/** Median task time per variant, grouped by model latency. */
export function overheadChart(rows: OverheadRow[]): VegaLiteSpec {
  return {
    ...base('One agent task: median time by model latency', '2 model calls + 1 calculator call; lower is better'),
    data: { values: rows.map((row) => ({ ...row, latency: `${row.modelLatencyMs} ms/call` })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'latency', type: 'nominal', title: 'model latency', sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'variant', sort: Object.values(OVERHEAD_VARIANT_LABELS) },
      y: { field: 'medianMs', type: 'quantitative', title: 'median task time (ms)' },
      color: {
        field: 'variant',
        type: 'nominal',
        title: null,
        sort: Object.values(OVERHEAD_VARIANT_LABELS),
        legend: { orient: 'bottom', columns: 2, labelLimit: 280 },
      },
    },
  };
}

/** Speed-up of parallel subtasks over a chain, measured and ideal, by the number of subtasks. */
export function orchestrationChart(rows: OrchestrationRow[]): VegaLiteSpec {
  return {
    ...base(
      'Parallel subtasks: speed-up over a chain',
      'ratio of medians (chain / parallel); ideal from the model time',
    ),
    data: { values: rows },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'subtasks', type: 'quantitative', title: 'subtasks (width)', axis: { tickMinStep: 1 } },
      y: { field: 'speedUp', type: 'quantitative', title: 'speed-up (x)' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      strokeDash: { field: 'series', type: 'nominal', legend: null },
    },
  };
}

/** Tasks per minute and the worker's peak memory by concurrency, side by side. */
export function throughputChart(rows: ThroughputRow[]): VegaLiteSpec {
  const x = { field: 'concurrency', type: 'quantitative', scale: { type: 'log' }, title: 'concurrent tasks (log)' };
  return {
    $schema: SCHEMA,
    title: {
      text: 'One worker process: throughput and memory by concurrency',
      subtitle: '300 ms per model call, memory on',
    },
    background: 'white',
    config: { font: 'sans-serif', view: { stroke: null } },
    data: { values: rows },
    hconcat: [
      {
        width: 260,
        height: HEIGHT,
        mark: { type: 'line', point: true, tooltip: true },
        encoding: { x, y: { field: 'tasksPerMinute', type: 'quantitative', title: 'tasks per minute' } },
      },
      {
        width: 260,
        height: HEIGHT,
        mark: { type: 'line', point: true, color: '#e45756', tooltip: true },
        encoding: { x, y: { field: 'workerMemoryMb', type: 'quantitative', title: 'worker peak memory (MiB)' } },
      },
    ],
  };
}

/** Search latency (p50) by corpus size and mode. */
export function searchChart(rows: SearchRow[]): VegaLiteSpec {
  return {
    ...base('Memory search latency by corpus size', 'p50 per query, exact path on the local MongoDB-wire server'),
    data: { values: rows.map((row) => ({ ...row, corpus: `${row.chunks.toLocaleString('en-US')} chunks` })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'corpus', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'mode' },
      y: { field: 'p50Ms', type: 'quantitative', title: 'p50 latency (ms)' },
      color: { field: 'mode', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

/** History size by agent steps, per context size, with the claim check on and off. */
export function historyChart(rows: HistoryRow[]): VegaLiteSpec {
  return {
    ...base(
      'Workflow history size by agent steps',
      'per context size; the claim check keeps large payloads in MongoDB',
    ),
    data: {
      values: rows.map((row) => ({
        ...row,
        context: `${row.contextKb} KB context`,
        series: `${row.contextKb} KB, claim check ${row.claimCheck}`,
      })),
    },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'steps', type: 'quantitative', title: 'agent steps' },
      y: { field: 'historyKb', type: 'quantitative', scale: { type: 'log' }, title: 'history size (KB, log)' },
      color: { field: 'context', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      strokeDash: { field: 'claimCheck', type: 'nominal', title: 'claim check', legend: { orient: 'bottom' } },
      detail: { field: 'series' },
    },
  };
}
