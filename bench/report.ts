import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyRows, orchestrationRows, overheadRows, searchRows, throughputRows } from './report/chart-data';
import { historyChart, orchestrationChart, overheadChart, searchChart, throughputChart } from './report/chart-specs';
import { renderSvg, type VegaLiteSpec } from './report/render-svg';
import { buildReport, REPORT_SECTIONS } from './report/report-markdown';
import { benchmarkResultsDirectory } from './support/results';

/**
 * `npm run bench:report`: turns the latest `bench/results/*.json` into `bench/report.md` with
 * SVG charts in `bench/charts/` (Vega-Lite, rendered in Node). `CHASSIS_BENCH_RESULTS_DIR`
 * and `CHASSIS_BENCH_REPORT_DIR` point elsewhere (tests do).
 */

const CHARTS: { name: string; result: string; spec: (result: unknown) => VegaLiteSpec | undefined }[] = [
  { name: 'overhead', result: 'overhead', spec: (result) => nonEmpty(overheadRows(result), overheadChart) },
  {
    name: 'orchestration',
    result: 'orchestration',
    spec: (result) => nonEmpty(orchestrationRows(result), orchestrationChart),
  },
  { name: 'throughput', result: 'throughput', spec: (result) => nonEmpty(throughputRows(result), throughputChart) },
  { name: 'memory', result: 'memory', spec: (result) => nonEmpty(searchRows(result), searchChart) },
  { name: 'history', result: 'history', spec: (result) => nonEmpty(historyRows(result), historyChart) },
];

function nonEmpty<T>(rows: T[], spec: (rows: T[]) => VegaLiteSpec): VegaLiteSpec | undefined {
  return rows.length === 0 ? undefined : spec(rows);
}

function readResults(directory: string): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const { name } of REPORT_SECTIONS) {
    const file = path.join(directory, `${name}.json`);
    if (!existsSync(file)) continue;
    try {
      results[name] = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (error) {
      process.stderr.write(
        `warning: ${file} is not valid JSON (${(error as Error).message}); its section is left out\n`,
      );
    }
  }
  return results;
}

async function main(): Promise<void> {
  const resultsDirectory = benchmarkResultsDirectory();
  const reportDirectory = process.env.CHASSIS_BENCH_REPORT_DIR || __dirname;
  const results = readResults(resultsDirectory);
  if (Object.keys(results).length === 0) {
    process.stderr.write(
      `no benchmark results in ${resultsDirectory}: run "npm run bench -- overhead" (or another) first\n`,
    );
    process.exitCode = 2;
    return;
  }
  mkdirSync(path.join(reportDirectory, 'charts'), { recursive: true });
  const charts: Record<string, string> = {};
  for (const chart of CHARTS) {
    const spec = results[chart.result] === undefined ? undefined : chart.spec(results[chart.result]);
    if (spec === undefined) continue;
    const relative = `charts/${chart.name}.svg`;
    writeFileSync(path.join(reportDirectory, relative), await renderSvg(spec));
    charts[chart.name] = relative;
  }
  const report = path.join(reportDirectory, 'report.md');
  writeFileSync(report, buildReport(results, charts));
  process.stderr.write(
    `wrote ${path.relative(process.cwd(), report)} with ${Object.keys(charts).length} charts, from the results of ${Object.keys(results).join(', ')}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:report: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
