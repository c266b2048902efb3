import { ApplicationFailure } from '@temporalio/common';
import { createModelBreaker, type ModelCircuitOpenDetails } from '../../src/models/model-breaker';

// The model parameters of the keyed breaker (test/resilience covers the breaker itself).
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

const failure = (type: string, message: string, nonRetryable: boolean) => () =>
  Promise.reject(ApplicationFailure.create({ type, message, nonRetryable }));
const unavailable = failure('Model.Unavailable', 'model m: provider answered HTTP 500: scripted fault', false);
const rateLimited = failure('Model.RateLimited', 'model m: provider answered HTTP 429: slow down', false);
const badRequest = failure('Model.BadRequest', 'model m: provider answered HTTP 400: bad', true);
const succeed = () => Promise.resolve('ok');

async function failTimes(run: () => Promise<unknown>, times: number, breaker = createModelBreaker(settings(2))) {
  for (let index = 0; index < times; index++) {
    await expect(breaker.execute('m', run)).rejects.toMatchObject({ name: 'ApplicationFailure' });
  }
  return breaker;
}

function settings(consecutiveFailures: number) {
  return { opensOn: { consecutiveFailures }, coolDownMs: 30_000 };
}

describe('model breaker', () => {
  test('retryable failures (5xx, 429) count; bad requests and other non-retryable ones do not', async () => {
    expect((await failTimes(badRequest, 5)).state('m')).toBe('closed');
    expect((await failTimes(rateLimited, 2)).state('m')).toBe('open');
    const breaker = await failTimes(unavailable, 1);
    await failTimes(badRequest, 1, breaker);
    await failTimes(unavailable, 1, breaker);
    expect(breaker.state('m')).toBe('open');
  });

  test('an open breaker throws a non-retryable Model.CircuitOpen saying what failed, when, and for how long', async () => {
    const breaker = await failTimes(unavailable, 3, createModelBreaker(settings(3)));
    jest.advanceTimersByTime(12_000);
    const run = jest.fn(succeed);
    const refused = (await breaker.execute('m', run).catch((error: unknown) => error)) as ApplicationFailure;
    expect(run).not.toHaveBeenCalled();
    expect(refused).toMatchObject({ name: 'ApplicationFailure', type: 'Model.CircuitOpen', nonRetryable: true });
    expect(refused.message).toBe(
      'model m failing: breaker opened after 3 consecutive errors (last: Model.Unavailable: provider answered HTTP 500: scripted fault) 12 s ago, half-opens in 18 s — the workflow moves to the next model',
    );
    expect(refused.details?.[0]).toEqual({
      model: 'm',
      retryInMs: 18_000,
      openedAt: '2026-01-01T00:00:00.000Z',
      failures: 3,
      calls: 3,
      lastFailure: 'Model.Unavailable: provider answered HTTP 500: scripted fault',
    } satisfies ModelCircuitOpenDetails);
  });
});
