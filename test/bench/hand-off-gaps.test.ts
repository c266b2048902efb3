import { temporal } from '@temporalio/proto';
import { cumulativeConfig, SERVER_DEFAULTS } from '../../bench/handoffs.bench';
import { handOffGaps, type TimedEvent } from '../../bench/support/hand-off-gaps';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/stack/temporal-dynamic-config';

const EventType = temporal.api.enums.v1.EventType;
const START_MS = 1_800_000_000_000;

/** An event `offsetMs` after the start (server clock), with optional activity attributes. */
function event(
  eventId: number,
  eventType: temporal.api.enums.v1.EventType,
  offsetMs: number,
  scheduledEventId?: number,
): TimedEvent {
  const at = START_MS + offsetMs;
  return {
    eventId,
    eventType,
    eventTime: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 },
    ...(eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
      ? { activityTaskStartedEventAttributes: { scheduledEventId } }
      : {}),
    ...(eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
      ? { activityTaskCompletedEventAttributes: { scheduledEventId } }
      : {}),
  };
}

describe('handOffGaps', () => {
  test('splits a run into start, task and activity dispatch and run times, and the result delivery', () => {
    const events = [
      event(1, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0),
      event(2, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 0),
      event(3, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 3),
      event(4, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 10),
      event(5, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 10),
      event(6, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 10),
      // Parallel activities end in any order; they pair by their scheduled event's id.
      event(7, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 14, 6),
      event(8, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 12, 5),
      event(9, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 20, 6),
      event(10, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 30, 5),
      event(11, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 31),
      event(12, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 33),
      event(13, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 40),
      event(14, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 40),
    ];

    expect(handOffGaps(events, START_MS - 2, START_MS + 45)).toEqual({
      startToFirstTaskMs: 5,
      workflowTaskDispatchMs: [3, 2],
      workflowTaskRunMs: [7, 7],
      activityDispatchMs: [4, 2],
      activityRunMs: [6, 18],
      activityToNextTaskMs: [1],
      resultToClientMs: 5,
    });
  });

  test('refuses an empty history', () => {
    expect(() => handOffGaps([], 0, 1)).toThrow('the history has no events');
  });
});

describe('cumulativeConfig', () => {
  test('starts from the server defaults and ends at exactly what chassis dev up sets', () => {
    expect(cumulativeConfig(0)).toEqual(SERVER_DEFAULTS);
    expect(cumulativeConfig(1)).toMatchObject({
      'history.transferProcessorMaxPollRPS': DEV_SERVER_DYNAMIC_CONFIG['history.transferProcessorMaxPollRPS'],
      'system.enableActivityEagerExecution': false,
    });
    expect(cumulativeConfig(3)).toEqual(DEV_SERVER_DYNAMIC_CONFIG);
  });
});
