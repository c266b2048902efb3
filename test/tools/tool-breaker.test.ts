import { CircuitOpenError } from '../../src/resilience/keyed-circuit-breaker';
import { createToolBreaker } from '../../src/tools/tool-breaker';
import { PermanentToolError, TransientToolError } from '../../src/tools/tool-errors';

// The tool parameters of the keyed breaker (test/resilience covers the breaker itself).
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('tool breaker', () => {
  test('defaults: 5 consecutive transient failures open it, and a refusal is a CircuitOpenError', async () => {
    const breaker = createToolBreaker();
    for (let index = 0; index < 5; index++) {
      expect(breaker.state('search')).toBe('closed');
      await expect(breaker.execute('search', () => Promise.reject(new TransientToolError('503')))).rejects.toThrow(
        '503',
      );
    }
    const refused = await breaker.execute('search', () => Promise.resolve('ok')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused).toMatchObject({ key: 'search', retryInMs: 30_000 });
    expect((refused as Error).message).toBe(
      'circuit search: breaker opened after 5 consecutive errors (last: 503) 0 s ago, half-opens in 30 s',
    );
  });

  test('permanent errors (the model’s mistakes, such as a 404) do not count', async () => {
    const breaker = createToolBreaker({ opensOn: { consecutiveFailures: 1 } });
    for (let index = 0; index < 3; index++) {
      await expect(breaker.execute('search', () => Promise.reject(new PermanentToolError('404')))).rejects.toThrow(
        PermanentToolError,
      );
    }
    expect(breaker.state('search')).toBe('closed');
  });
});
