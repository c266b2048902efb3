import { ApplicationFailure } from '@temporalio/common';
import { ModelBreakers } from '../../src/models/model-breakers';

// cockatiel reads Date.now(): Jest's modern fake timers move it, so cool-downs take no real time.
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  jest.useRealTimers();
});

const unavailable = () =>
  Promise.reject(ApplicationFailure.create({ type: 'Model.Unavailable', message: 'HTTP 500', nonRetryable: false }));
const rateLimited = () =>
  Promise.reject(ApplicationFailure.create({ type: 'Model.RateLimited', message: 'HTTP 429', nonRetryable: false }));
const badRequest = () =>
  Promise.reject(ApplicationFailure.create({ type: 'Model.BadRequest', message: 'HTTP 400', nonRetryable: true }));
const succeed = () => Promise.resolve('ok');

async function failTimes(breakers: ModelBreakers, model: string, times: number, call = unavailable): Promise<void> {
  for (let index = 0; index < times; index++) {
    await expect(breakers.execute(model, call)).rejects.toMatchObject({ name: 'ApplicationFailure' });
  }
}

async function refusal(breakers: ModelBreakers, model: string, call: () => Promise<unknown> = succeed) {
  return breakers.execute(model, call).then(
    () => undefined,
    (error: unknown) => error as ApplicationFailure,
  );
}

describe('ModelBreakers', () => {
  test('N consecutive retryable failures open the breaker; then calls fail fast, non-retryable, without running', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 3, coolDownMs: 10_000 });
    await failTimes(breakers, 'gpt-4.1', 2);
    expect(breakers.state('gpt-4.1')).toBe('closed');
    await failTimes(breakers, 'gpt-4.1', 1);
    expect(breakers.state('gpt-4.1')).toBe('open');
    const call = jest.fn(succeed);
    const failure = await refusal(breakers, 'gpt-4.1', call);
    expect(call).not.toHaveBeenCalled();
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'Model.CircuitOpen', nonRetryable: true });
    expect(failure?.message).toBe(
      'model gpt-4.1 is failing (3 consecutive errors); circuit open for 10 s — the workflow moves to the next model',
    );
    jest.advanceTimersByTime(4_500);
    expect((await refusal(breakers, 'gpt-4.1'))?.message).toContain('circuit open for 6 s');
  });

  test('429s count too', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 2, coolDownMs: 1_000 });
    await failTimes(breakers, 'm', 2, rateLimited);
    expect(breakers.state('m')).toBe('open');
  });

  test('non-retryable failures (400, 401) neither count nor reset the count', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 2, coolDownMs: 1_000 });
    await failTimes(breakers, 'm', 5, badRequest);
    expect(breakers.state('m')).toBe('closed');
    expect(breakers.failuresInARow('m')).toBe(0);
    await failTimes(breakers, 'm', 1);
    await failTimes(breakers, 'm', 1, badRequest);
    await failTimes(breakers, 'm', 1);
    expect(breakers.state('m')).toBe('open');
  });

  test('a success resets the count', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 3, coolDownMs: 1_000 });
    await failTimes(breakers, 'm', 2);
    await expect(breakers.execute('m', succeed)).resolves.toBe('ok');
    expect(breakers.failuresInARow('m')).toBe(0);
    await failTimes(breakers, 'm', 2);
    expect(breakers.state('m')).toBe('closed');
  });

  test('after the cool-down one trial call goes through; success closes the breaker', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 2, coolDownMs: 5_000 });
    await failTimes(breakers, 'm', 2);
    jest.advanceTimersByTime(5_000);
    expect(breakers.state('m')).toBe('half-open');
    await expect(breakers.execute('m', succeed)).resolves.toBe('ok');
    expect(breakers.state('m')).toBe('closed');
  });

  test('half-open lets exactly one call through: others fail fast while the trial runs', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 1, coolDownMs: 1_000 });
    await failTimes(breakers, 'm', 1);
    jest.advanceTimersByTime(1_000);
    let finishTrial: (value: string) => void = () => undefined;
    const trial = breakers.execute('m', () => new Promise<string>((resolve) => (finishTrial = resolve)));
    expect(breakers.state('m')).toBe('half-open');
    const other = jest.fn(succeed);
    const failure = await refusal(breakers, 'm', other);
    expect(other).not.toHaveBeenCalled();
    expect(failure).toMatchObject({ type: 'Model.CircuitOpen', nonRetryable: true });
    expect(failure?.message).toContain('trial call in flight');
    finishTrial('fine');
    await expect(trial).resolves.toBe('fine');
    expect(breakers.state('m')).toBe('closed');
  });

  test('a failed trial opens the breaker for another cool-down, counting on', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 2, coolDownMs: 5_000 });
    await failTimes(breakers, 'm', 2);
    jest.advanceTimersByTime(5_001);
    await failTimes(breakers, 'm', 1);
    expect(breakers.state('m')).toBe('open');
    expect(breakers.retryInMs('m')).toBe(5_000);
    expect((await refusal(breakers, 'm'))?.message).toContain('(3 consecutive errors); circuit open for 5 s');
  });

  test('breakers are per model: one failing model leaves the others closed', async () => {
    const breakers = new ModelBreakers({ consecutiveFailures: 1, coolDownMs: 5_000 });
    await failTimes(breakers, 'a', 1);
    expect(breakers.state('a')).toBe('open');
    expect(breakers.state('b')).toBe('closed');
    await expect(breakers.execute('b', succeed)).resolves.toBe('ok');
  });

  test('invalid settings are refused', () => {
    expect(() => new ModelBreakers({ consecutiveFailures: 0 })).toThrow('consecutiveFailures must be an integer >= 1');
    expect(() => new ModelBreakers({ coolDownMs: 0 })).toThrow('coolDownMs must be > 0');
  });
});
