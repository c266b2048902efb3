import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import {
  describeModelCallFailure,
  TierOutage,
  type ModelCallFailure,
} from '../../../src/workflows/routing/tier-outage';

function activityFailure(cause: Error): ActivityFailure {
  return new ActivityFailure('Activity task failed', 'callModel', '7', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'w', cause);
}

function circuitOpen(model: string, retryInMs: number): ModelCallFailure {
  return describeModelCallFailure(
    model,
    'small',
    activityFailure(
      ApplicationFailure.create({
        type: 'Model.CircuitOpen',
        message: `model ${model} failing: breaker opened after 5 of the last 6 calls failed (last: HTTP 500) 3 s ago, half-opens in ${retryInMs / 1000} s`,
        nonRetryable: true,
        details: [{ model, retryInMs }],
      }),
    ),
  );
}

const unavailable = (model: string, tier = 'small') =>
  describeModelCallFailure(
    model,
    tier,
    activityFailure(
      ApplicationFailure.create({
        type: 'Model.Unavailable',
        message: 'provider answered HTTP 500',
        nonRetryable: false,
      }),
    ),
  );

describe('describeModelCallFailure', () => {
  test('open breakers, provider errors and timeouts are transient; a bad key is not', () => {
    expect(circuitOpen('mini', 18_000)).toMatchObject({ transient: true, retryInMs: 18_000 });
    expect(unavailable('mini')).toEqual({
      model: 'mini',
      tier: 'small',
      transient: true,
      summary: 'Model.Unavailable: provider answered HTTP 500',
    });
    const timeout = activityFailure(new TimeoutFailure('heartbeat timeout', undefined, 'HEARTBEAT'));
    expect(describeModelCallFailure('mini', 'small', timeout)).toMatchObject({
      transient: true,
      summary: 'timed out (heartbeat)',
    });
    const badKey = activityFailure(
      ApplicationFailure.create({ type: 'Model.Authentication', message: 'HTTP 401', nonRetryable: true }),
    );
    expect(describeModelCallFailure('mini', 'small', badKey).transient).toBe(false);
  });
});

describe('TierOutage', () => {
  const policy = { moveTo: { small: 'large' }, maxWaitSeconds: 60 };

  test('failures waiting cannot fix are left to the caller (rethrown as before)', () => {
    const outage = new TierOutage('small', policy, { canMove: true });
    const badKey = activityFailure(
      ApplicationFailure.create({ type: 'Model.Authentication', message: 'HTTP 401', nonRetryable: true }),
    );
    outage.record(describeModelCallFailure('mini', 'small', badKey), 0);
    expect(outage.next('small', 0)).toBeUndefined();
  });

  test('moves once to the configured tier, then waits until the earliest breaker half-opens', () => {
    const outage = new TierOutage('small', policy, { canMove: true, breakerCoolDownMs: 30_000 });
    outage.record(circuitOpen('mini', 18_000), 0);
    outage.record(circuitOpen('mini-backup', 25_000), 0);
    expect(outage.next('small', 0)).toEqual({
      action: 'move',
      tier: 'large',
      reason: 'tier small unavailable (mini, mini-backup failed): moved to large (routing.whenTierUnavailable.moveTo)',
    });
    outage.record(circuitOpen('big', 9_000), 1_000);
    outage.record(unavailable('big-backup', 'large'), 4_000);
    // big half-opens first; big-backup failed without a breaker saying when: a 2 s pause is shorter.
    expect(outage.next('large', 4_000)).toMatchObject({ action: 'wait', waitMs: 2_000 });
  });

  test('without moveTo (or pinned) it waits, never longer than the budget left, then fails saying what and how long', () => {
    const outage = new TierOutage('small', { moveTo: {}, maxWaitSeconds: 30 }, { canMove: true });
    outage.record(circuitOpen('mini', 18_000), 0);
    expect(outage.next('small', 0)).toMatchObject({ action: 'wait', waitMs: 18_000 });
    outage.waited(18_000);
    outage.record(circuitOpen('mini', 25_000), 18_000);
    expect(outage.next('small', 18_000)).toMatchObject({ action: 'wait', waitMs: 12_000 });
    outage.waited(12_000);
    outage.record(circuitOpen('mini', 13_000), 30_000);
    const step = outage.next('small', 30_000);
    expect(step?.action).toBe('fail');
    expect(step).toMatchObject({
      message: expect.stringMatching(
        /^no model could answer for 30 s: every model of tier small kept failing or refusing, and the call waited 30 s in 2 pauses, up to routing\.whenTierUnavailable\.maxWaitSeconds \(30\)\. mini \(small\): 3 failed calls over 30 s, last: Model\.CircuitOpen: model mini failing: breaker opened after .* half-opens in 13 s\. Check the provider's status/,
      ),
    });
  });

  test('a pinned model never moves; pauses grow when no breaker says when to come back', () => {
    const outage = new TierOutage('pinned', { moveTo: { pinned: 'large' }, maxWaitSeconds: 300 }, { canMove: false });
    const waits: number[] = [];
    for (let round = 0; round < 6; round++) {
      outage.record(unavailable('gpt'), 0);
      const step = outage.next('pinned', 0);
      if (step?.action !== 'wait') throw new Error(`expected a wait, got ${JSON.stringify(step)}`);
      waits.push(step.waitMs);
      outage.waited(step.waitMs);
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
