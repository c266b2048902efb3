import { downWithin, labelsIn, recoverySamples, type KillEvent } from '../../../src/testing/chaos/recovery';

const kill: KillEvent = {
  at: 10_000,
  worker: 'worker-1',
  pid: 42,
  reason: 'model-call',
  interrupted: [
    { label: 'a', kind: 'model' },
    { label: 'a', kind: 'other' },
    { label: 'b', kind: 'tool' },
    { label: 'done', kind: 'model' },
    { label: 'never', kind: 'model' },
  ],
};

describe('recoverySamples', () => {
  const samples = recoverySamples({
    kills: [kill],
    progress: [
      { label: 'a', at: 9_000 }, // before the kill: the interrupted call itself
      { label: 'a', at: 14_000 },
      { label: 'a', at: 12_500 },
      { label: 'b', at: 40_000 },
      { label: 'done', at: 11_000 },
    ],
    finishedAt: new Map([
      ['done', 9_500],
      ['a', 20_000],
    ]),
    observedUntil: 100_000,
    // MongoDB down 20–30 s and Temporal 25–35 s: 15 s of b's 30 s recovery had something down.
    downtimes: [
      { system: 'mongodb', from: 20_000, until: 30_000 },
      { system: 'temporal', from: 25_000, until: 35_000 },
    ],
    retries: [
      { label: 'b', killedPid: 42, at: 16_000 },
      { label: 'b', killedPid: 42, at: 9_000 }, // before the kill: not a retry of it
      { label: 'never', killedPid: 7, at: 12_000 }, // another kill's worker
      { label: 'a', killedPid: 42, at: 13_000 }, // after the task's next progress
    ],
  });

  it('measures from the kill to the first progress of the task after it, once per task and kill', () => {
    expect(samples.filter((sample) => sample.label === 'a')).toEqual([
      {
        label: 'a',
        kind: 'model',
        killReason: 'model-call',
        milliseconds: 2_500,
        whileUpMilliseconds: 2_500,
        retriedMilliseconds: 2_500,
        censored: false,
      },
    ]);
    expect(samples.find((sample) => sample.label === 'b')?.milliseconds).toBe(30_000);
  });

  it('also counts each recovery without the time MongoDB or Temporal was down within it', () => {
    expect(samples.find((sample) => sample.label === 'b')?.whileUpMilliseconds).toBe(15_000);
  });

  it("also counts the time to the interrupted work's retry on a live worker, bounded by the next progress", () => {
    expect(samples.find((sample) => sample.label === 'b')?.retriedMilliseconds).toBe(6_000);
    expect(samples.find((sample) => sample.label === 'a')?.retriedMilliseconds).toBe(2_500);
  });

  it('skips tasks that had already returned, and bounds one that never recovered by the end of observation', () => {
    expect(samples.some((sample) => sample.label === 'done')).toBe(false);
    expect(samples.find((sample) => sample.label === 'never')).toEqual({
      label: 'never',
      kind: 'model',
      killReason: 'model-call',
      milliseconds: 90_000,
      whileUpMilliseconds: 75_000,
      retriedMilliseconds: 90_000,
      censored: true,
    });
  });
});

describe('downWithin', () => {
  it('counts overlapping outages once and only inside the window', () => {
    const outages = [
      { system: 'mongodb' as const, from: 0, until: 10_000 },
      { system: 'temporal' as const, from: 5_000, until: 12_000 },
      { system: 'mongodb' as const, from: 50_000, until: 60_000 },
    ];
    expect(downWithin(2_000, 40_000, outages)).toBe(10_000);
    expect(downWithin(55_000, 100_000, outages)).toBe(5_000);
    expect(downWithin(20_000, 40_000, outages)).toBe(0);
  });
});

describe('labelsIn', () => {
  it('finds the labels a request body or call record names', () => {
    expect(labelsIn('{"goal":"Chaos task s-01-ab: go"}', ['s-01-ab', 's-02-ab'])).toEqual(['s-01-ab']);
  });
});
