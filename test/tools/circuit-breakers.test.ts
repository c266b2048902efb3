import { CircuitOpenError, ToolCircuitBreakers, UncountedFailure } from '../../src/tools/circuit-breakers';
import { PermanentToolError, TransientToolError } from '../../src/tools/tool-errors';

// cockatiel reads Date.now(): Jest's modern fake timers move it, so cool-downs take no real time.
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

const failTransiently = () => Promise.reject(new TransientToolError('upstream 503'));
const succeed = () => Promise.resolve('ok');

async function failTimes(breakers: ToolCircuitBreakers, key: string, times: number): Promise<void> {
  for (let index = 0; index < times; index++) {
    await expect(breakers.execute(key, failTransiently)).rejects.toThrow('upstream 503');
  }
}

describe('ToolCircuitBreakers', () => {
  test('opens after N consecutive transient failures and then refuses without running the call', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 3, coolDownMs: 10_000 });
    await failTimes(breakers, 'search', 2);
    expect(breakers.state('search')).toBe('closed');
    await failTimes(breakers, 'search', 1);
    expect(breakers.state('search')).toBe('open');
    const run = jest.fn(succeed);
    const refused = await breakers.execute('search', run).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryInMs).toBe(10_000);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(4_000);
    expect(breakers.retryInMs('search')).toBe(6_000);
  });

  test('after the cool-down one trial call runs; success closes the breaker', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 2, coolDownMs: 5_000 });
    await failTimes(breakers, 'search', 2);
    jest.advanceTimersByTime(5_000);
    expect(breakers.state('search')).toBe('half-open');
    expect(breakers.retryInMs('search')).toBeUndefined();
    await expect(breakers.execute('search', succeed)).resolves.toBe('ok');
    expect(breakers.state('search')).toBe('closed');
  });

  test('a failed trial call opens the breaker for another cool-down', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 2, coolDownMs: 5_000 });
    await failTimes(breakers, 'search', 2);
    jest.advanceTimersByTime(5_001);
    await failTimes(breakers, 'search', 1);
    expect(breakers.state('search')).toBe('open');
    expect(breakers.retryInMs('search')).toBe(5_000);
  });

  test('permanent errors (the model’s mistakes) and cancellations do not count', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 2, coolDownMs: 5_000 });
    for (let index = 0; index < 5; index++) {
      await expect(breakers.execute('search', () => Promise.reject(new PermanentToolError('404')))).rejects.toThrow(
        PermanentToolError,
      );
      const cancelled = new Error('aborted');
      await expect(breakers.execute('search', () => Promise.reject(new UncountedFailure(cancelled)))).rejects.toBe(
        cancelled,
      );
    }
    expect(breakers.state('search')).toBe('closed');
  });

  test('a success resets the consecutive count', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 3, coolDownMs: 5_000 });
    await failTimes(breakers, 'search', 2);
    await breakers.execute('search', succeed);
    await failTimes(breakers, 'search', 2);
    expect(breakers.state('search')).toBe('closed');
  });

  test('breakers are per key: one failing host leaves the others closed', async () => {
    const breakers = new ToolCircuitBreakers({ threshold: 1, coolDownMs: 5_000 });
    await failTimes(breakers, 'http_fetch:a.example', 1);
    expect(breakers.state('http_fetch:a.example')).toBe('open');
    await expect(breakers.execute('http_fetch:b.example', succeed)).resolves.toBe('ok');
  });

  test('settings are validated', () => {
    expect(() => new ToolCircuitBreakers({ threshold: 0 })).toThrow(/threshold/);
    expect(() => new ToolCircuitBreakers({ coolDownMs: 0 })).toThrow(/coolDownMs/);
  });
});
