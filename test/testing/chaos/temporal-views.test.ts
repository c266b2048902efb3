import { msToTs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { startedElsewhereAfter } from '../../../src/testing/chaos/temporal-views';

const STARTED = proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const SCHEDULED = proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;

function activity(
  state: proto.api.enums.v1.PendingActivityState,
  identity: string | undefined,
  startedAt: number | undefined,
): proto.api.workflow.v1.IPendingActivityInfo {
  return {
    state,
    ...(identity === undefined ? {} : { lastWorkerIdentity: identity }),
    ...(startedAt === undefined ? {} : { lastStartedTime: msToTs(startedAt) }),
  };
}

describe('startedElsewhereAfter', () => {
  const killedAt = 1_000_000;

  it('is the earliest start after the kill by another worker process', () => {
    expect(
      startedElsewhereAfter(
        [activity(STARTED, '77@host', killedAt + 9_000), activity(STARTED, '78@host', killedAt + 6_500)],
        42,
        killedAt,
      ),
    ).toBe(killedAt + 6_500);
  });

  it("ignores the killed worker's own attempt, starts before the kill and attempts not started yet", () => {
    expect(
      startedElsewhereAfter(
        [
          activity(STARTED, '42@host', killedAt + 3_000), // the dead attempt as Temporal still shows it
          activity(STARTED, '77@host', killedAt - 500), // began before the kill: not a retry of it
          activity(SCHEDULED, '77@host', killedAt + 2_000), // waiting in backoff
          activity(STARTED, undefined, killedAt + 4_000), // no identity: not attributable
        ],
        42,
        killedAt,
      ),
    ).toBeUndefined();
  });

  it('does not mistake a pid that only begins with the same digits for the killed one', () => {
    expect(startedElsewhereAfter([activity(STARTED, '421@host', killedAt + 5_000)], 42, killedAt)).toBe(
      killedAt + 5_000,
    );
  });
});
