import {
  formatMegabytes,
  parseResidentBytes,
  residentBytes,
  watchResidentMemory,
} from '../../bench/support/process-memory';

describe('process memory', () => {
  test('reads VmRSS from a /proc status text, in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmRSS:\t   52340 kB\nThreads:\t11\n';
    expect(parseResidentBytes(status)).toBe(52_340 * 1024);
    expect(parseResidentBytes('Name:\tkthreadd\n')).toBeUndefined();
  });

  test('reads this process, and nothing for a process that does not exist', () => {
    const own = residentBytes(process.pid);
    expect(own).toBeGreaterThan(10 * 1024 * 1024);
    expect(residentBytes(2 ** 22 + 12_345)).toBeUndefined();
  });

  test('watching keeps the peak and the last sample', () => {
    const finish = watchResidentMemory(() => process.pid, 10);
    const held = Buffer.alloc(32 * 1024 * 1024, 1);
    const watched = finish();
    expect(held.length).toBe(32 * 1024 * 1024);
    expect(watched.lastBytes).toBeGreaterThan(32 * 1024 * 1024);
    expect(watched.peakBytes).toBeGreaterThanOrEqual(watched.lastBytes ?? Number.POSITIVE_INFINITY);
    expect(watchResidentMemory(() => undefined)()).toEqual({ peakBytes: undefined, lastBytes: undefined });
  });

  test('formats mebibytes with one decimal, and a dash when unknown', () => {
    expect(formatMegabytes(123_456_789)).toBe('117.7 MB');
    expect(formatMegabytes(undefined)).toBe('—');
  });
});
