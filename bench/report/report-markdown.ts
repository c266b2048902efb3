import { OVERHEAD_VARIANT_LABELS } from './chart-data';

/**
 * The report's Markdown, from parsed result files and the charts rendered from them. Pure:
 * `bench/report.ts` reads the files and writes the output.
 */

type Json = Record<string, unknown>;

/** The benchmarks the report covers, in its order, with what each section shows. */
export const REPORT_SECTIONS = [
  { name: 'overhead', title: 'Overhead of the harness', chart: 'overhead' },
  { name: 'handoffs', title: 'Where a hand-off’s time goes', chart: undefined },
  { name: 'orchestration', title: 'Parallel subtasks', chart: 'orchestration' },
  { name: 'throughput', title: 'Throughput and memory of one worker', chart: 'throughput' },
  { name: 'tuning', title: 'Worker tuning', chart: undefined },
  { name: 'memory', title: 'Memory search', chart: 'memory' },
  { name: 'history', title: 'History size', chart: 'history' },
] as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else current = isObject(current) ? current[String(key)] : undefined;
  }
  return current;
}

function num(value: unknown, digits = 1): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function table(headers: string[], rows: string[][]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** "measured 2026-11-29 on 2 CPUs (…), load average 0.8 → 1.3" from a result's common fields. */
export function provenance(result: unknown): string {
  const date =
    typeof at(result, 'date') === 'string'
      ? (at(result, 'date') as string).slice(0, 16).replace('T', ' ')
      : 'unknown date';
  const cpus = at(result, 'machine', 'cpus');
  const model = at(result, 'machine', 'cpuModel');
  const node = at(result, 'machine', 'node');
  const load = at(result, 'load') ?? at(result, 'machineLoad');
  const loadText = isObject(load)
    ? `, load average ${num(load.loadAverageAtStart, 2)} at start and ${num(load.loadAverageAtEnd, 2)} at end`
    : '';
  return `Measured ${date} UTC on ${typeof cpus === 'number' ? cpus : '?'} CPUs (${String(model ?? 'unknown CPU')}, Node ${String(node ?? '?')})${loadText}.`;
}

function overheadSection(result: unknown): string[] {
  const measurements = list(at(result, 'measurements'));
  const names = Object.keys(OVERHEAD_VARIANT_LABELS);
  const lines = table(
    [
      'model latency',
      ...names.map((name) => OVERHEAD_VARIANT_LABELS[name] as string),
      'Chassis / plain',
      'Chassis / bare',
    ],
    measurements.map((measurement) => [
      `${num(measurement.modelLatencyMs, 0)} ms`,
      ...names.map((name) => `${num(at(measurement, 'variants', name, 'medianMs'))} ms`),
      `${num(at(measurement, 'ratios', 'chassisOverPlain'), 2)}x`,
      `${num(at(measurement, 'ratios', 'chassisOverBare'), 2)}x`,
    ]),
  );
  const step = measurements.map((measurement) => at(measurement, 'ratios', 'perExtraStep')).find(isObject);
  if (step !== undefined) {
    lines.push(
      '',
      `One more step (a model call and a calculator call), from 1 vs ${num(at(result, 'task', 'longRounds'), 0)} rounds at 0 ms model latency: ` +
        `the bare loop ${num(step.bareMs)} ms, the plain workflow ${num(step.plainMs)} ms, Chassis ${num(step.chassisMs)} ms ` +
        `(${num(step.chassisBeyondBareMs)} ms beyond the model's and the tool's own time).`,
    );
  }
  return lines;
}

function handoffsSection(result: unknown): string[] {
  return table(
    ['setting', 'run (median)', 'task dispatch', 'task run', 'activity dispatch', 'activity run', 'result → client'],
    list(at(result, 'rows')).map((row) => [
      String(row.label ?? row.name ?? ''),
      `${num(at(row, 'run', 'medianMs'))} ms`,
      `${num(at(row, 'medians', 'workflowTaskDispatchMs'))} ms`,
      `${num(at(row, 'medians', 'workflowTaskRunMs'))} ms`,
      `${num(at(row, 'medians', 'activityDispatchMs'))} ms`,
      `${num(at(row, 'medians', 'activityRunMs'))} ms`,
      `${num(at(row, 'medians', 'resultToClientMs'))} ms`,
    ]),
  );
}

function orchestrationSection(result: unknown): string[] {
  return table(
    ['subtasks', 'parallel (median)', 'chain (median)', 'speed-up', 'ideal'],
    list(at(result, 'measurements')).map((measurement) => [
      num(measurement.subtasks, 0),
      `${num(at(measurement, 'parallel', 'medianMs'), 0)} ms`,
      `${num(at(measurement, 'sequential', 'medianMs'), 0)} ms`,
      `${num(measurement.ratioOfMedians, 2)}x`,
      `${num(measurement.idealRatio, 2)}x`,
    ]),
  );
}

function megabytes(value: unknown): string {
  return typeof value === 'number' ? `${(value / (1024 * 1024)).toFixed(0)} MiB` : '—';
}

function throughputSection(result: unknown): string[] {
  const lines = table(
    [
      'concurrent tasks',
      'tasks',
      'errors',
      'tasks/min',
      'latency p50',
      'latency p95',
      'peak model calls',
      'worker peak memory',
    ],
    list(at(result, 'levels')).map((level) => [
      num(level.concurrency, 0),
      num(level.tasks, 0),
      num(level.errors, 0),
      num(level.tasksPerMinute),
      `${num(at(level, 'latency', 'medianMs'), 0)} ms`,
      `${num(at(level, 'latency', 'p95Ms'), 0)} ms`,
      num(level.peakModelCalls, 0),
      megabytes(level.workerPeakBytes),
    ]),
  );
  const idle = at(result, 'idleSessions');
  if (isObject(idle)) {
    lines.push(
      '',
      `${num(idle.sessions, 0)} idle sessions (answered once each): worker memory ${megabytes(idle.workerBytesBefore)} before, ` +
        `${megabytes(idle.workerBytesIdle)} with them idle; a message to an idle session answered in ${num(at(idle, 'answer', 'medianMs'), 0)} ms ` +
        `(p95 ${num(at(idle, 'answer', 'p95Ms'), 0)} ms), of which ${num(idle.modelTimePerAnswerMs, 0)} ms is the model's; ${num(idle.errors, 0)} errors.`,
    );
  }
  const recovery = at(result, 'recovery');
  if (isObject(recovery)) {
    lines.push(
      '',
      `Recovery: ${num(recovery.tasks, 0)} tasks of ${num(recovery.rounds, 0)} rounds took ${num((recovery.undisturbedMs as number) / 1000)} s undisturbed and ` +
        `${num((recovery.disturbedMs as number) / 1000)} s with the worker killed (SIGKILL) and restarted: the new worker polled ` +
        `${num((recovery.workerBackMs as number) / 1000)} s after the kill, every task was done ${num((recovery.killToDoneMs as number) / 1000)} s after it; ${num(recovery.errors, 0)} errors.`,
    );
  }
  return lines;
}

function tuningSection(result: unknown): string[] {
  return table(
    [
      'candidate',
      'variables',
      'one at a time: p50',
      '100 at once: tasks/min',
      'by round',
      'p95',
      'worker peak memory',
      'errors',
    ],
    list(at(result, 'rows')).map((row) => [
      String(row.name ?? ''),
      isObject(row.environment) && Object.keys(row.environment).length > 0
        ? Object.entries(row.environment)
            .map(([name, value]) => `\`${name}=${String(value)}\``)
            .join(' ')
        : 'none (the SDK’s defaults)',
      `${num(row.sequentialP50Ms)} ms`,
      num(row.tasksPerMinute),
      // The spread between rounds of one candidate is the noise its difference from another must beat.
      list(row.samples)
        .map((sample) => num(at(sample, 'concurrent', 'tasksPerMinute')))
        .join(', ') || '—',
      `${num(typeof row.concurrentP95Ms === 'number' ? row.concurrentP95Ms / 1000 : undefined)} s`,
      megabytes(row.workerPeakBytes),
      num(row.errors, 0),
    ]),
  );
}

function memorySection(result: unknown): string[] {
  return table(
    ['chunks', 'mode', 'p50', 'p95'],
    list(at(result, 'imports')).flatMap((measurement) => {
      const searches = isObject(measurement.searches) ? measurement.searches : {};
      return Object.keys(searches).map((mode) => [
        num(measurement.size ?? measurement.chunks, 0),
        mode,
        `${num(at(searches, mode, 'medianMs'))} ms`,
        `${num(at(searches, mode, 'p95Ms'))} ms`,
      ]);
    }),
  );
}

function historySection(result: unknown): string[] {
  return table(
    ['context', 'steps', 'history, claim check off', 'on', 'ratio'],
    list(at(result, 'measurements')).map((measurement) => [
      `${num((measurement.contextBytes as number) / 1024, 0)} KB`,
      num(measurement.steps, 0),
      `${num((at(measurement, 'off', 'historyBytes') as number) / 1024)} KB`,
      `${num((at(measurement, 'on', 'historyBytes') as number) / 1024)} KB`,
      `${num(measurement.ratio)}x`,
    ]),
  );
}

const SECTION_BODIES: Record<(typeof REPORT_SECTIONS)[number]['name'], (result: unknown) => string[]> = {
  overhead: overheadSection,
  handoffs: handoffsSection,
  orchestration: orchestrationSection,
  throughput: throughputSection,
  tuning: tuningSection,
  memory: memorySection,
  history: historySection,
};

/**
 * The report: one section per benchmark, with its chart (a path relative to the report),
 * its numbers and where they were measured; a benchmark without a result says how to get one.
 */
export function buildReport(
  results: Readonly<Record<string, unknown>>,
  charts: Readonly<Record<string, string>>,
): string {
  const lines = [
    '# Benchmark report',
    '',
    'Generated by `npm run bench:report` from the latest `bench/results/*.json`. Each benchmark compares side by side',
    'in one run against the scripted model server (a test double of the provider with a fixed delay, not a model);',
    'compare ratios, not absolute times, and mind the load average: this project’s machine has 2 cores shared with other work.',
    'Re-run one with `npm run bench -- <name>`, then `npm run bench:report`. What the numbers mean: `docs/performance.md`.',
  ];
  for (const section of REPORT_SECTIONS) {
    const result = results[section.name];
    lines.push('', `## ${section.title} (\`npm run bench -- ${section.name}\`)`, '');
    if (result === undefined) {
      lines.push(`_Not measured yet: run \`npm run bench -- ${section.name}\`._`);
      continue;
    }
    const description = at(result, 'description');
    if (typeof description === 'string') lines.push(description, '');
    lines.push(provenance(result), '');
    const chart = section.chart === undefined ? undefined : charts[section.chart];
    if (chart !== undefined) lines.push(`![${section.title}](${chart})`, '');
    lines.push(...SECTION_BODIES[section.name](result));
  }
  return `${lines.join('\n')}\n`;
}
