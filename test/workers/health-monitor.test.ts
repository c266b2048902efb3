import { HealthMonitor } from '../../src/workers/health-monitor';

describe('HealthMonitor', () => {
  it('reports the first line after every probe answered, then only when a component goes up or down', async () => {
    const lines: string[] = [];
    let mongoUp = false;
    let probes = 0;
    const monitor = new HealthMonitor({
      intervalMs: 5,
      onChange: (line) => lines.push(line),
      probes: [
        { component: 'temporal', probe: async () => ({ ok: true }) },
        {
          component: 'mongodb',
          probe: async () => {
            probes += 1;
            if (mongoUp) return { ok: true };
            // A different reason each time: not a change worth a line.
            throw new Error(`connect ECONNREFUSED 127.0.0.1:27017 (attempt ${probes})`);
          },
        },
      ],
    });
    await monitor.start();
    expect(lines).toEqual(['health: temporal ok · mongodb down (connect ECONNREFUSED 127.0.0.1:27017 (attempt 1))']);
    while (probes < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(lines).toHaveLength(1);
    mongoUp = true;
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    monitor.stop();
    expect(lines[1]).toBe('health: temporal ok · mongodb ok');
    expect(monitor.current()).toEqual(
      expect.arrayContaining([
        { component: 'temporal', ok: true },
        { component: 'mongodb', ok: true },
      ]),
    );
  });
});
