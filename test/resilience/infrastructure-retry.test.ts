import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import {
  InfrastructureUnavailableError,
  isInfrastructureUnavailable,
  retryWhileInfrastructureDown,
  type InfrastructureWait,
} from '../../src/resilience/infrastructure-retry';

const down = () => new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');

describe('isInfrastructureUnavailable', () => {
  test('MongoDB network, selection, topology and not-connected errors are outages', () => {
    expect(isInfrastructureUnavailable(down())).toBe(true);
    expect(isInfrastructureUnavailable(new MongoServerSelectionError('timed out', {} as never))).toBe(true);
    expect(isInfrastructureUnavailable(new MongoTopologyClosedError())).toBe(true);
    expect(isInfrastructureUnavailable(new MongoNotConnectedError('not connected'))).toBe(true);
    expect(isInfrastructureUnavailable(new MongoServerError({ message: 'shutting down', code: 91 }))).toBe(true);
  });

  test('other errors are not: a duplicate key, a bad query, a plain error', () => {
    expect(isInfrastructureUnavailable(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }))).toBe(
      false,
    );
    expect(isInfrastructureUnavailable(new MongoServerError({ message: 'unknown operator', code: 2 }))).toBe(false);
    expect(isInfrastructureUnavailable(new Error('connection reset'))).toBe(false);
    expect(isInfrastructureUnavailable('down')).toBe(false);
  });
});

describe('retryWhileInfrastructureDown', () => {
  test('waits with backoff while MongoDB is down, heartbeating, and returns once it is back', async () => {
    let calls = 0;
    const waits: InfrastructureWait[] = [];
    const beats: unknown[] = [];
    const value = await retryWhileInfrastructureDown(
      async () => {
        calls += 1;
        if (calls < 4) throw down();
        return 'written';
      },
      {
        budgetMs: 10_000,
        operation: 'recording an outcome',
        initialDelayMs: 50,
        heartbeat: (details) => beats.push(details),
        heartbeatIntervalMs: 20,
        onWait: (wait) => waits.push(wait),
      },
    );
    expect(value).toBe('written');
    expect(calls).toBe(4);
    expect(waits.map((wait) => [wait.attempt, wait.delayMs, wait.system])).toEqual([
      [1, 50, 'MongoDB'],
      [2, 100, 'MongoDB'],
      [3, 200, 'MongoDB'],
    ]);
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toMatchObject({ waitingFor: 'infrastructure', operation: 'recording an outcome' });
  });

  test('an outage longer than the budget is an InfrastructureUnavailableError saying what, how long and why', async () => {
    const error = await retryWhileInfrastructureDown(
      async () => {
        throw down();
      },
      { budgetMs: 300, operation: 'claiming the call', initialDelayMs: 50 },
    ).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InfrastructureUnavailableError);
    const outage = error as InfrastructureUnavailableError;
    expect(outage.system).toBe('MongoDB');
    expect(outage.waitedMs).toBeGreaterThanOrEqual(300);
    expect(outage.message).toMatch(
      /^MongoDB was unavailable for \d+(\.\d)? s while claiming the call: connect ECONNREFUSED 127\.0\.0\.1:27017$/,
    );
  });

  test('errors that are not outages are thrown at once', async () => {
    let calls = 0;
    await expect(
      retryWhileInfrastructureDown(
        async () => {
          calls += 1;
          throw new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
        },
        { budgetMs: 10_000 },
      ),
    ).rejects.toThrow('E11000 duplicate key');
    expect(calls).toBe(1);
  });

  test('a budget of 0 tries once; an aborted signal stops the wait', async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw down();
    };
    await expect(retryWhileInfrastructureDown(failing, { budgetMs: 0 })).rejects.toThrow(
      InfrastructureUnavailableError,
    );
    expect(calls).toBe(1);

    // Aborted during the first pause (of a minute): one more try, then it gives up.
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      retryWhileInfrastructureDown(failing, { budgetMs: 600_000, initialDelayMs: 60_000, signal: controller.signal }),
    ).rejects.toThrow(InfrastructureUnavailableError);
    expect(calls).toBe(3);
  });
});
