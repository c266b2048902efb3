import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type ProtoFailure = temporal.api.failure.v1.IFailure;

/** Where a failed run can be reset to, and why there. */
export interface ResetPoint {
  /** A `WORKFLOW_TASK_COMPLETED` event id: the reset's `workflowTaskFinishEventId`. */
  eventId: number;
  /** Plain words, e.g. `before activity callModel (event 23) failed`. */
  reason: string;
  /** Activities that completed before the reset point: kept, not run again. */
  keptActivities: number;
}

function toNumber(value: { toString(): string } | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value.toString());
}

/** The failure's cause chain, outermost first. */
function causeChain(failure: ProtoFailure | null | undefined): ProtoFailure[] {
  const chain: ProtoFailure[] = [];
  for (let current = failure; current && chain.length < 32; current = current.cause) chain.push(current);
  return chain;
}

/**
 * The event that scheduled the operation whose failure closed the run: the activity of an
 * `ActivityFailure`, or the child of a `ChildWorkflowFailure`, in the close event's cause chain.
 */
function failedOperation(
  events: HistoryEvent[],
  close: HistoryEvent,
): { event: HistoryEvent; label: string } | undefined {
  const failure = close.workflowExecutionFailedEventAttributes?.failure;
  for (const cause of causeChain(failure)) {
    const activity = cause.activityFailureInfo;
    if (activity) {
      const id = toNumber(activity.scheduledEventId);
      const event = events.find((candidate) => toNumber(candidate.eventId) === id);
      if (event) return { event, label: `activity ${activity.activityType?.name ?? '?'} (event ${id}) failed` };
    }
    const child = cause.childWorkflowExecutionFailureInfo;
    if (child) {
      const id = toNumber(child.initiatedEventId);
      const event = events.find((candidate) => toNumber(candidate.eventId) === id);
      if (event) return { event, label: `child workflow ${child.workflowExecution?.workflowId ?? '?'} failed` };
    }
  }
  return undefined;
}

/**
 * Finds the last good point of a failed or timed-out run for the server's reset: the
 * workflow task that scheduled the failed activity (or child). Resetting there drops that
 * task's commands, so the new run schedules the failed call again with fresh attempts,
 * while everything completed before it stays in the history and is not run again.
 *
 * Without a failed activity or child in the cause chain (a timeout, or the workflow code
 * itself failed) it is the last completed workflow task: its commands are redone by the
 * current code. Undefined when the run has no completed workflow task to reset to.
 */
export function findResetPoint(history: History): ResetPoint | undefined {
  const events = history.events ?? [];
  const close = events[events.length - 1];
  if (close === undefined) return undefined;
  const operation = failedOperation(events, close);
  const scheduledBy =
    operation?.event.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId ??
    operation?.event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId;
  let eventId = toNumber(scheduledBy);
  let reason = operation ? `the workflow task before ${operation.label}` : '';
  if (eventId === 0) {
    const lastCompleted = [...events]
      .reverse()
      .find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    if (lastCompleted === undefined) return undefined;
    eventId = toNumber(lastCompleted.eventId);
    reason = 'the last completed workflow task';
  }
  const keptActivities = events.filter(
    (event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && toNumber(event.eventId) < eventId,
  ).length;
  return { eventId, reason, keptActivities };
}
