import {
  CircuitOpenError,
  KeyedCircuitBreaker,
  UncountedFailure,
  type CircuitRefusal,
} from '../../src/resilience/keyed-circuit-breaker';

// cockatiel reads Date.now(): Jest's modern fake timers move it, so cool-downs take no real time.
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

const fail =
  (message = 'upstream 503') =>
  () =>
    Promise.reject(new Error(message));
const succeed = () => Promise.resolve('ok');

async function failTimes(breaker: KeyedCircuitBreaker, key: string, times: number, message?: string): Promise<void> {
  for (let index = 0; index < times; index++) {
    await expect(breaker.execute(key, fail(message))).rejects.toThrow(message ?? 'upstream 503');
  }
}

async function refusalOf(breaker: KeyedCircuitBreaker, key: string, run: () => Promise<unknown> = succeed) {
  const error = await breaker.execute(key, run).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CircuitOpenError);
  return (error as CircuitOpenError).refusal;
}

/** A call the test finishes by hand, to hold calls in flight. */
function pending() {
  let settle: { resolve: (value: string) => void; reject: (error: Error) => void } = {
    resolve: () => undefined,
    reject: () => undefined,
  };
  const run = () => new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  return { run, settle: () => settle };
}

describe('KeyedCircuitBreaker with a consecutive trigger', () => {
  test('opens after N consecutive counted failures, then refuses without running the call', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 3 }, coolDownMs: 10_000 });
    await failTimes(breaker, 'search', 2);
    expect(breaker.state('search')).toBe('closed');
    await failTimes(breaker, 'search', 1);
    expect(breaker.state('search')).toBe('open');
    const run = jest.fn(succeed);
    const refusal = await refusalOf(breaker, 'search', run);
    expect(run).not.toHaveBeenCalled();
    expect(refusal).toMatchObject({ key: 'search', state: 'open', retryInMs: 10_000 });
    jest.advanceTimersByTime(4_000);
    expect(breaker.retryInMs('search')).toBe(6_000);
    expect((await refusalOf(breaker, 'search')).description).toBe(
      'breaker opened after 3 consecutive errors (last: upstream 503) 4 s ago, half-opens in 6 s',
    );
  });

  test('after the cool-down one trial call runs; success closes the breaker', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 5_000 });
    await failTimes(breaker, 'search', 2);
    jest.advanceTimersByTime(5_000);
    expect(breaker.state('search')).toBe('half-open');
    expect(breaker.retryInMs('search')).toBeUndefined();
    await expect(breaker.execute('search', succeed)).resolves.toBe('ok');
    expect(breaker.state('search')).toBe('closed');
    expect(breaker.opening('search')).toBeUndefined();
  });

  test('half-open lets exactly one call through: others are refused at once while the trial runs', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 1 }, coolDownMs: 1_000 });
    await failTimes(breaker, 'm', 1);
    jest.advanceTimersByTime(1_000);
    const trial = pending();
    const running = breaker.execute('m', trial.run);
    expect(breaker.state('m')).toBe('half-open');
    const other = jest.fn(succeed);
    const refusal = await refusalOf(breaker, 'm', other);
    expect(other).not.toHaveBeenCalled();
    expect(refusal).toMatchObject({ state: 'half-open', retryInMs: 0 });
    expect(refusal.description).toContain('its trial call is running now');
    trial.settle().resolve('fine');
    await expect(running).resolves.toBe('fine');
    expect(breaker.state('m')).toBe('closed');
  });

  test('a failed trial call opens the breaker for another cool-down, and the message says so', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 5_000 });
    await failTimes(breaker, 'search', 2);
    jest.advanceTimersByTime(5_001);
    await failTimes(breaker, 'search', 1, 'still down');
    expect(breaker.state('search')).toBe('open');
    expect(breaker.retryInMs('search')).toBe(5_000);
    expect((await refusalOf(breaker, 'search')).description).toBe(
      'breaker opened after its trial call failed (last: still down) 0 s ago, half-opens in 5 s',
    );
  });

  test('uncounted failures (countsAsFailure false, or wrapped in UncountedFailure) pass through and do not count', async () => {
    const breaker = new KeyedCircuitBreaker({
      opensOn: { consecutiveFailures: 2 },
      coolDownMs: 5_000,
      countsAsFailure: (error) => !(error instanceof Error && error.message === 'not found'),
    });
    for (let index = 0; index < 5; index++) {
      await expect(breaker.execute('search', fail('not found'))).rejects.toThrow('not found');
      const cancelled = new Error('aborted');
      await expect(breaker.execute('search', () => Promise.reject(new UncountedFailure(cancelled)))).rejects.toBe(
        cancelled,
      );
    }
    expect(breaker.state('search')).toBe('closed');
  });

  test('a success resets the consecutive count', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 3 }, coolDownMs: 5_000 });
    await failTimes(breaker, 'search', 2);
    await breaker.execute('search', succeed);
    await failTimes(breaker, 'search', 2);
    expect(breaker.state('search')).toBe('closed');
  });

  test('breakers are per key: one failing key leaves the others closed', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 1 }, coolDownMs: 5_000 });
    await failTimes(breaker, 'http_fetch:a.example', 1);
    expect(breaker.state('http_fetch:a.example')).toBe('open');
    expect(breaker.state('http_fetch:b.example')).toBe('closed');
    await expect(breaker.execute('http_fetch:b.example', succeed)).resolves.toBe('ok');
  });

  test('what an open breaker throws is a parameter', async () => {
    const breaker = new KeyedCircuitBreaker({
      opensOn: { consecutiveFailures: 1 },
      coolDownMs: 5_000,
      openError: (refusal: CircuitRefusal) => new RangeError(`refused ${refusal.key} for ${refusal.retryInMs} ms`),
    });
    await failTimes(breaker, 'k', 1);
    await expect(breaker.execute('k', succeed)).rejects.toThrow(new RangeError('refused k for 5000 ms'));
  });
});

describe('messages count correctly under concurrency', () => {
  test('a success that lands after the breaker opened does not change the count in the message', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 3 }, coolDownMs: 30_000 });
    // One slow call starts first and will succeed; three quick ones fail meanwhile.
    const slow = pending();
    const slowCall = breaker.execute('gpt', slow.run);
    const failing = [pending(), pending(), pending()];
    const failingCalls = failing.map((call) => breaker.execute('gpt', call.run).catch((error: unknown) => error));
    failing.forEach((call, index) => call.settle().reject(new Error(`HTTP 500 #${index + 1}`)));
    await Promise.all(failingCalls);
    expect(breaker.state('gpt')).toBe('open');
    // The in-flight success resets cockatiel's counter, which the old message read ("0 consecutive errors").
    slow.settle().resolve('late');
    await expect(slowCall).resolves.toBe('late');
    jest.advanceTimersByTime(12_000);
    const refusal = await refusalOf(breaker, 'gpt');
    expect(refusal.opening).toMatchObject({ cause: 'threshold', failures: 3, calls: 3, lastFailure: 'HTTP 500 #3' });
    expect(refusal.description).toBe(
      'breaker opened after 3 consecutive errors (last: HTTP 500 #3) 12 s ago, half-opens in 18 s',
    );
  });

  test('failures that land after the opening do not raise the count either', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 30_000 });
    const calls = [pending(), pending(), pending(), pending()];
    const running = calls.map((call) => breaker.execute('gpt', call.run).catch((error: unknown) => error));
    calls.forEach((call) => call.settle().reject(new Error('HTTP 429')));
    await Promise.all(running);
    expect((await refusalOf(breaker, 'gpt')).opening).toMatchObject({ failures: 2 });
  });
});

describe('KeyedCircuitBreaker with a failure-rate trigger', () => {
  const rate = { failureRate: 0.6, lastCalls: 10, minimumCalls: 5 };

  test('stays closed under a minority of errors, however they line up', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: rate, coolDownMs: 30_000 });
    // 3 errors in a row would open a 3-consecutive breaker; here 5 of 10 failed (not more than 60%).
    for (const ok of [true, true, false, false, false, true, true, false, false, true]) {
      await breaker.execute('m', ok ? succeed : fail()).catch(() => undefined);
    }
    expect(breaker.state('m')).toBe('closed');
  });

  test('opens once more than the rate of the last calls failed, after the minimum number of calls', async () => {
    const breaker = new KeyedCircuitBreaker({ opensOn: rate, coolDownMs: 30_000 });
    await failTimes(breaker, 'm', 4);
    expect(breaker.state('m')).toBe('closed'); // fewer than minimumCalls
    await breaker.execute('m', succeed);
    await failTimes(breaker, 'm', 1);
    expect(breaker.state('m')).toBe('open'); // 5 of 6 failed
    expect((await refusalOf(breaker, 'm')).description).toBe(
      'breaker opened after 5 of the last 6 calls failed (last: upstream 503) 0 s ago, half-opens in 30 s',
    );
  });

  test('invalid settings are refused with what is wrong', () => {
    expect(() => new KeyedCircuitBreaker({ opensOn: { consecutiveFailures: 0 } })).toThrow(
      'consecutiveFailures must be an integer >= 1',
    );
    expect(() => new KeyedCircuitBreaker({ coolDownMs: 0 })).toThrow('coolDownMs must be > 0');
    expect(() => new KeyedCircuitBreaker({ opensOn: { ...rate, failureRate: 1 } })).toThrow(
      'failureRate must be in (0, 1)',
    );
    expect(() => new KeyedCircuitBreaker({ opensOn: { ...rate, minimumCalls: 11 } })).toThrow(
      'minimumCalls must be an integer from 1 to lastCalls (10), got 11',
    );
  });
});
