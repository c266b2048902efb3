import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantile, summarizeSamples, writeBenchmarkResult } from '../../bench/support/results';
import { formatTable } from '../../bench/support/table';

describe('writeBenchmarkResult', () => {
  let directory: string;
  const saved = process.env.CHASSIS_BENCH_RESULTS_DIR;

  beforeEach(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'chassis-bench-'));
    process.env.CHASSIS_BENCH_RESULTS_DIR = path.join(directory, 'nested', 'results');
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.CHASSIS_BENCH_RESULTS_DIR;
    else process.env.CHASSIS_BENCH_RESULTS_DIR = saved;
    rmSync(directory, { recursive: true, force: true });
  });

  test('writes <name>.json with name, date and machine next to the result fields', () => {
    const before = Date.now();
    const file = writeBenchmarkResult('overhead', { measurements: [{ ratioOfMedians: 1.5 }] });

    expect(file).toBe(path.join(directory, 'nested', 'results', 'overhead.json'));
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({
      name: 'overhead',
      machine: { cpus: os.cpus().length, node: process.version },
      measurements: [{ ratioOfMedians: 1.5 }],
    });
    expect(Date.parse(written.date as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(Object.keys(written).slice(0, 3)).toEqual(['name', 'date', 'machine']);
  });

  test('keeps a result that is not a plain object under "result"', () => {
    const file = writeBenchmarkResult('numbers', [1, 2, 3]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ name: 'numbers', result: [1, 2, 3] });
  });

  test('overwrites the previous result of the same benchmark', () => {
    writeBenchmarkResult('overhead', { run: 1 });
    const file = writeBenchmarkResult('overhead', { run: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ run: 2 });
  });

  test('rejects a name that could point outside the results folder', () => {
    expect(() => writeBenchmarkResult('../escape', {})).toThrow(/benchmark name "..\/escape" is invalid/);
  });
});

describe('sample statistics', () => {
  test('quantile interpolates between the nearest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.5)).toBe(30);
    expect(quantile([0, 100], 0.95)).toBeCloseTo(95);
    expect(quantile([7], 0.95)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
  });

  test('summarizeSamples sorts for the statistics but keeps the samples in measurement order', () => {
    const summary = summarizeSamples([30.04, 10, 20, 40]);
    expect(summary).toEqual({
      count: 4,
      medianMs: 25,
      p95Ms: 38.5,
      minMs: 10,
      maxMs: 40,
      samplesMs: [30, 10, 20, 40],
    });
  });
});

describe('formatTable', () => {
  test('pads columns to their widest cell, numbers to the right, text to the left', () => {
    const text = formatTable({
      title: ['a title'],
      headers: ['name', 'ms'],
      rows: [
        ['bare', 4.5],
        ['chassis', 120],
      ],
    });
    expect(text.split('\n')).toEqual(['a title', 'name      ms', '-------  ---', 'bare     4.5', 'chassis  120']);
  });

  test('explicit alignment wins, every column starts at the same offset on every line, no trailing spaces', () => {
    const text = formatTable({
      headers: ['latency', 'ratio', 'note'],
      rows: [
        ['0 ms', '106.81x', 'x'],
        ['300 ms', '1.35x', 'a longer note'],
      ],
      align: ['right', 'right', 'left'],
    });
    const lines = text.split('\n');
    expect(lines).toEqual([
      'latency    ratio  note',
      '-------  -------  -------------',
      '   0 ms  106.81x  x',
      ' 300 ms    1.35x  a longer note',
    ]);
    for (const line of lines) expect(line).toBe(line.trimEnd());
    // The third column starts at offset 18 on every line (7 + 2 + 7 + 2): two spaces of gap, then its cell.
    for (const line of lines) {
      expect(line.slice(16, 18)).toBe('  ');
      expect(line.charAt(18)).not.toBe(' ');
    }
  });

  test('a short row leaves its missing cells empty', () => {
    expect(formatTable({ headers: ['a', 'b'], rows: [['x']] }).split('\n')).toEqual(['a  b', '-  -', 'x']);
  });
});
