import { formatHealthLine, healthChangeKey } from '../../src/workers/health';

describe('formatHealthLine', () => {
  it('prints every component in a fixed order with the reason of the ones that are down', () => {
    expect(
      formatHealthLine([
        { component: 'models', ok: true, detail: 'scripted offline model' },
        { component: 'mongodb', ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:27017' },
        { component: 'temporal', ok: true },
      ]),
    ).toBe(
      'health: temporal ok · mongodb down (connect ECONNREFUSED 127.0.0.1:27017) · models ok (scripted offline model)',
    );
  });

  it('leaves out an empty detail', () => {
    expect(formatHealthLine([{ component: 'temporal', ok: false, detail: '' }])).toBe('health: temporal down');
  });
});

describe('healthChangeKey', () => {
  const down = (detail: string) => [
    { component: 'temporal' as const, ok: true },
    { component: 'mongodb' as const, ok: false, detail },
  ];

  it('changes when a component goes up or down', () => {
    expect(healthChangeKey(down('refused'))).not.toBe(
      healthChangeKey([
        { component: 'temporal', ok: true },
        { component: 'mongodb', ok: true },
      ]),
    );
  });

  it('stays the same when only the reason of a component that is down changes', () => {
    expect(healthChangeKey(down('connection 1 to 127.0.0.1:27017 closed'))).toBe(
      healthChangeKey(down('connect ECONNREFUSED 127.0.0.1:27017')),
    );
  });
});
