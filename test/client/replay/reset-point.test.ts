import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { historyFromJson } from '../../../src/client/replay/history-json';
import { findResetPoint } from '../../../src/client/replay/reset-point';

const EventType = temporal.api.enums.v1.EventType;
const fixture = (name: string) =>
  historyFromJson(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'histories', name), 'utf8')));
const idOf = (event: temporal.api.history.v1.IHistoryEvent | undefined) => Number(event?.eventId?.toString());

describe('findResetPoint', () => {
  test('a run failed by an activity resets to the workflow task that scheduled that activity', () => {
    const history = fixture('failed-task.json');
    const events = history.events ?? [];
    const failedActivity = [...events]
      .reverse()
      .find((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED);
    const scheduledId = Number(failedActivity?.activityTaskFailedEventAttributes?.scheduledEventId?.toString());
    const scheduled = events.find((event) => idOf(event) === scheduledId);
    const point = findResetPoint(history);
    expect(point?.eventId).toBe(
      Number(scheduled?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId?.toString()),
    );
    expect(events.find((event) => idOf(event) === point?.eventId)?.eventType).toBe(
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    );
    expect(point?.reason).toMatch(/^the workflow task before activity callModel \(event \d+\) failed$/);
    // Everything that completed before the reset point (tool definitions, memory recall, the first
    // model call, the calculator) is kept.
    const completedBefore = events.filter(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && idOf(event) < (point?.eventId ?? 0),
    );
    expect(point?.keptActivities).toBe(completedBefore.length);
    expect(point?.keptActivities).toBeGreaterThanOrEqual(3);
  });

  test('without a failed activity in the cause chain: the last completed workflow task', () => {
    const history = fixture('direct-task-with-tools.json');
    const events = history.events ?? [];
    const lastCompleted = [...events]
      .reverse()
      .find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    expect(findResetPoint(history)).toMatchObject({
      eventId: idOf(lastCompleted),
      reason: 'the last completed workflow task',
    });
  });

  test('a run with no completed workflow task cannot be reset', () => {
    const history = fixture('failed-task.json');
    expect(findResetPoint({ events: (history.events ?? []).slice(0, 2) })).toBeUndefined();
    expect(findResetPoint({ events: [] })).toBeUndefined();
  });
});
