import { alternatingRounds, temporalUnreachableError } from '../../bench/support/runner';
import type { ChassisConfig } from '../../src/config/load-config';

describe('alternatingRounds', () => {
  test('runs every side once a round, rotating the order, and keeps only the counted rounds by side', async () => {
    const order: string[] = [];
    const samples = await alternatingRounds({
      sides: ['a', 'b', 'c'],
      rounds: 3,
      warmupRounds: 1,
      run: async (side, { index, warmup }) => {
        order.push(`${warmup ? 'w' : index}${side}`);
        return `${side}${warmup ? 'w' : index}`;
      },
    });
    expect(order).toEqual(['wa', 'wb', 'wc', '0b', '0c', '0a', '1c', '1a', '1b', '2a', '2b', '2c']);
    expect(samples).toEqual([
      ['a0', 'a1', 'a2'],
      ['b0', 'b1', 'b2'],
      ['c0', 'c1', 'c2'],
    ]);
  });

  test('tells each round before it runs, warm-up rounds first', async () => {
    const rounds: string[] = [];
    await alternatingRounds({
      sides: [1, 2],
      rounds: 2,
      warmupRounds: 2,
      onRound: ({ index, warmup }) => rounds.push(`${warmup ? 'warm-up' : 'round'} ${index}`),
      run: async (side) => side,
    });
    expect(rounds).toEqual(['warm-up 0', 'warm-up 1', 'round 0', 'round 1']);
  });

  test('no rounds: no runs; a round count that is not a whole number is refused', async () => {
    const run = jest.fn(async () => 0);
    await expect(alternatingRounds({ sides: ['a'], rounds: 0, run })).resolves.toEqual([[]]);
    expect(run).not.toHaveBeenCalled();
    await expect(alternatingRounds({ sides: ['a'], rounds: 1.5, run })).rejects.toThrow(/whole numbers/);
    await expect(alternatingRounds({ sides: ['a'], rounds: 1, warmupRounds: -1, run })).rejects.toThrow(
      /whole numbers/,
    );
  });

  test('a failing run fails the benchmark', async () => {
    await expect(
      alternatingRounds({
        sides: ['ok', 'broken'],
        rounds: 1,
        run: async (side) => {
          if (side === 'broken') throw new Error('the run did not do the benchmarked work');
          return 1;
        },
      }),
    ).rejects.toThrow('the run did not do the benchmarked work');
  });
});

describe('temporalUnreachableError', () => {
  test('names the server and says how to start the local stack, in one line', () => {
    const config = { temporal: { address: '127.0.0.1:7999' } } as ChassisConfig;
    const error = temporalUnreachableError(config, new Error('connection refused'));
    expect(error.message).toBe(
      'cannot start workers on Temporal at 127.0.0.1:7999 (connection refused): run "chassis dev up" to start the local stack, or set TEMPORAL_ADDRESS',
    );
  });
});
