import type { NativeConnection } from '@temporalio/worker';
import type { ChassisWorkers } from '../../src/workers/create-workers';
import { WorkerSupervisor } from '../../src/workers/worker-supervisor';

/**
 * The supervisor's decisions with small fakes of the connection and the workers: the real
 * behaviour on a Temporal server (down at start, killed and restarted) is covered by
 * test/workers/worker-temporal-down.int.test.ts; a worker failure the SDK cannot retry
 * could not be provoked on the dev server, so the restart decision is checked here.
 */

/** Workers whose run ends when the test says so. */
function controllableWorkers() {
  let end: (error?: Error) => void = () => undefined;
  let shutdowns = 0;
  const workers: ChassisWorkers = {
    workers: [],
    run: () => new Promise<void>((resolve, reject) => (end = (error) => (error ? reject(error) : resolve()))),
    shutdown: () => {
      shutdowns += 1;
      end();
    },
  };
  return { workers, fail: (error: Error) => end(error), shutdowns: () => shutdowns };
}

function fakeConnection(closed: { count: number }): NativeConnection {
  return {
    close: async () => {
      closed.count += 1;
    },
  } as unknown as NativeConnection;
}

describe('WorkerSupervisor', () => {
  it('waits for Temporal saying so once, restarts workers that failed, and ends on stop', async () => {
    const lines: string[] = [];
    const closed = { count: 0 };
    let connectAttempts = 0;
    const created: ReturnType<typeof controllableWorkers>[] = [];
    const supervisor = new WorkerSupervisor({
      address: '127.0.0.1:7233',
      log: (line) => lines.push(line),
      backoff: { initialMs: 1, maxMs: 2 },
      connect: async () => {
        connectAttempts += 1;
        if (connectAttempts < 3) throw new Error('connect ECONNREFUSED 127.0.0.1:7233');
        return fakeConnection(closed);
      },
      createWorkers: async () => {
        const next = controllableWorkers();
        created.push(next);
        return next.workers;
      },
    });
    const running = supervisor.run();
    await supervisor.ready;
    expect(connectAttempts).toBe(3);
    expect(lines).toEqual([
      'waiting for Temporal at 127.0.0.1:7233 (connect ECONNREFUSED 127.0.0.1:7233) — the workers start polling once it answers',
      'Temporal at 127.0.0.1:7233 answers: starting the workers',
    ]);

    created[0]?.fail(new Error('Poll failure: Unhandled grpc error when polling'));
    while (created.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(lines[2]).toMatch(
      /^the workers stopped \(Poll failure: Unhandled grpc error when polling\) after finishing their activities in flight; restarting them in \d+ s$/,
    );

    supervisor.stop();
    await running;
    expect(created).toHaveLength(2);
    expect(created[1]?.shutdowns()).toBe(1);
    expect(closed.count).toBe(1);
  });

  it('reports Temporal down with the last connection error until it connects', async () => {
    const supervisor = new WorkerSupervisor({
      address: '127.0.0.1:1',
      log: () => undefined,
      backoff: { initialMs: 60_000 },
      connect: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      },
      createWorkers: async () => controllableWorkers().workers,
    });
    const running = supervisor.run();
    await supervisor.firstAttempt;
    expect(await supervisor.probe()).toEqual({ ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:1' });
    supervisor.stop();
    await running;
  });
});
