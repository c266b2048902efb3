import { Backoff, sleep } from '../../src/workers/backoff';

describe('Backoff', () => {
  it('doubles up to the maximum and starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 500 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      100, 200, 400, 500, 500,
    ]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = sleep(60_000, controller.signal).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    controller.abort();
    await waiting;
    expect(done).toBe(true);
  });
});
