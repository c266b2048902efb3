import { labelsIn, recoverySamples, type KillEvent } from '../../../src/testing/chaos/recovery';

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
  });

  it('measures from the kill to the first progress of the task after it, once per task and kill', () => {
    expect(samples.filter((sample) => sample.label === 'a')).toEqual([
      { label: 'a', kind: 'model', killReason: 'model-call', milliseconds: 2_500, censored: false },
    ]);
    expect(samples.find((sample) => sample.label === 'b')?.milliseconds).toBe(30_000);
  });

  it('skips tasks that had already returned, and bounds one that never recovered by the end of observation', () => {
    expect(samples.some((sample) => sample.label === 'done')).toBe(false);
    expect(samples.find((sample) => sample.label === 'never')).toEqual({
      label: 'never',
      kind: 'model',
      killReason: 'model-call',
      milliseconds: 90_000,
      censored: true,
    });
  });
});

describe('labelsIn', () => {
  it('finds the labels a request body or call record names', () => {
    expect(labelsIn('{"goal":"Chaos task s-01-ab: go"}', ['s-01-ab', 's-02-ab'])).toEqual(['s-01-ab']);
  });
});
