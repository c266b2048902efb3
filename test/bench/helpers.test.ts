import { evenlySpreadPositions } from '../../bench/support/even-share';
import { fitLine } from '../../bench/support/linear-fit';
import { peakConcurrency, runsOneAfterAnother } from '../../bench/support/intervals';
import { describeMachineLoad, watchMachineLoad } from '../../bench/support/machine-load';

describe('peakConcurrency', () => {
  test('counts the intervals open at the busiest instant', () => {
    expect(peakConcurrency([])).toBe(0);
    expect(
      peakConcurrency([
        { startMs: 0, endMs: 10 },
        { startMs: 2, endMs: 8 },
        { startMs: 5, endMs: 20 },
        { startMs: 12, endMs: 30 },
      ]),
    ).toBe(3);
  });

  test('back-to-back intervals do not overlap; identical ones all do', () => {
    const chain = [
      { startMs: 0, endMs: 5 },
      { startMs: 5, endMs: 9 },
      { startMs: 9, endMs: 9 },
    ];
    expect(peakConcurrency(chain)).toBe(1);
    expect(peakConcurrency([chain[0]!, chain[0]!, chain[0]!])).toBe(3);
  });

  test('rejects an interval that ends before it starts', () => {
    expect(() => peakConcurrency([{ startMs: 5, endMs: 4 }])).toThrow(/ends \(4\) before it starts \(5\)/);
  });
});

describe('runsOneAfterAnother', () => {
  test('holds for a chain in order, touching ends included, and not for overlaps or the wrong order', () => {
    const chain = [
      { startMs: 0, endMs: 5 },
      { startMs: 5, endMs: 9 },
      { startMs: 12, endMs: 15 },
    ];
    expect(runsOneAfterAnother(chain)).toBe(true);
    expect(runsOneAfterAnother([])).toBe(true);
    expect(runsOneAfterAnother([chain[0]!, { startMs: 4, endMs: 9 }])).toBe(false);
    expect(runsOneAfterAnother([chain[1]!, chain[0]!])).toBe(false);
  });
});

describe('evenlySpreadPositions', () => {
  test('chooses floor(count * share) positions, spread evenly', () => {
    expect(evenlySpreadPositions(10, 0.5)).toEqual([1, 3, 5, 7, 9]);
    expect(evenlySpreadPositions(10, 0.3)).toEqual([3, 6, 9]);
    expect(evenlySpreadPositions(10, 0.7)).toHaveLength(7);
    expect(evenlySpreadPositions(4, 0.25)).toEqual([3]);
  });

  test('a share of 0 chooses none and a share of 1 chooses all', () => {
    expect(evenlySpreadPositions(5, 0)).toEqual([]);
    expect(evenlySpreadPositions(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(evenlySpreadPositions(0, 0.5)).toEqual([]);
  });

  test('is the same on every call', () => {
    expect(evenlySpreadPositions(30, 0.4)).toEqual(evenlySpreadPositions(30, 0.4));
  });

  test('rejects a share outside [0, 1] and a count that is not a whole number', () => {
    expect(() => evenlySpreadPositions(10, 1.5)).toThrow(/share must be between 0 and 1, got 1.5/);
    expect(() => evenlySpreadPositions(10, Number.NaN)).toThrow(/share must be between 0 and 1/);
    expect(() => evenlySpreadPositions(2.5, 0.5)).toThrow(/count must be a non-negative integer/);
  });
});

describe('fitLine', () => {
  test('recovers the line through exact points', () => {
    const fit = fitLine([
      [2, 1100],
      [4, 2100],
      [6, 3100],
    ]);
    expect(fit.slope).toBeCloseTo(500);
    expect(fit.intercept).toBeCloseTo(100);
  });

  test('fits the least-squares line through repeated, noisy samples', () => {
    const fit = fitLine([
      [0, 1],
      [0, 3],
      [2, 5],
      [2, 7],
    ]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(2);
  });

  test('needs two distinct x values', () => {
    expect(() => fitLine([])).toThrow(/0 point\(s\)/);
    expect(() =>
      fitLine([
        [3, 1],
        [3, 2],
      ]),
    ).toThrow(/two distinct x values/);
  });
});

describe('machine load', () => {
  test('a watch reports the CPU count and two load averages', () => {
    const load = watchMachineLoad()();
    expect(load.cpus).toBeGreaterThan(0);
    expect(load.loadAverageAtStart).toBeGreaterThanOrEqual(0);
    expect(load.loadAverageAtEnd).toBeGreaterThanOrEqual(0);
  });

  test('the description flags a load at or above the CPU count', () => {
    expect(describeMachineLoad({ cpus: 2, loadAverageAtStart: 0.5, loadAverageAtEnd: 1.2 })).toBe(
      'load average (1 min): 0.5 at start, 1.2 at end, on 2 CPUs',
    );
    expect(describeMachineLoad({ cpus: 2, loadAverageAtStart: 0.5, loadAverageAtEnd: 3.1 })).toMatch(
      /busy: other processes/,
    );
  });
});
