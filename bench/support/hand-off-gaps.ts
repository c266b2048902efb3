import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

/** A history event as far as {@link handOffGaps} reads it. */
export interface TimedEvent {
  eventId?: number | Long | string | null;
  eventType?: temporal.api.enums.v1.EventType | null;
  eventTime?: { seconds?: number | Long | string | null; nanos?: number | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: number | Long | string | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: number | Long | string | null } | null;
}

/** `Long` as protobufjs hands it over (only what `Number()` needs). */
interface Long {
  toNumber(): number;
}

/** Where one run's time went, in ms, read from its history's event times and the client's clock. */
export interface HandOffGaps {
  /** Client's start call until the first workflow task started (the start hand-off). */
  startToFirstTaskMs: number;
  /** Each workflow task: scheduled → started (matching hands it to a poller). */
  workflowTaskDispatchMs: number[];
  /** Each workflow task: started → completed (the worker runs the workflow code and answers). */
  workflowTaskRunMs: number[];
  /** Each activity: scheduled → started (matching hands it to a poller, or eagerly in a response). */
  activityDispatchMs: number[];
  /** Each activity: started → completed (the worker runs it and reports). */
  activityRunMs: number[];
  /** Each activity completed → the next workflow task scheduled (the server reacting). */
  activityToNextTaskMs: number[];
  /** The last event until the client had the result (the result's long poll returning). */
  resultToClientMs: number;
}

function numberOf(value: number | Long | string | null | undefined): number {
  return typeof value === 'object' && value !== null ? value.toNumber() : Number(value ?? Number.NaN);
}

function timeOf(event: TimedEvent): number {
  return numberOf(event.eventTime?.seconds) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
}

/**
 * Splits one run's wall time into its hand-offs. `clientStartMs` and `clientEndMs` are the
 * client's clock (`Date.now()`) around the start call and the result; event times are the
 * server's. Both clocks are this machine's, so they compare (the dev server runs here).
 *
 * @throws when the history has no events (nothing to read)
 */
export function handOffGaps(events: readonly TimedEvent[], clientStartMs: number, clientEndMs: number): HandOffGaps {
  if (events.length === 0) throw new Error('the history has no events: fetch it after the run ended');
  const gaps: HandOffGaps = {
    startToFirstTaskMs: Number.NaN,
    workflowTaskDispatchMs: [],
    workflowTaskRunMs: [],
    activityDispatchMs: [],
    activityRunMs: [],
    activityToNextTaskMs: [],
    resultToClientMs: clientEndMs - timeOf(events[events.length - 1] as TimedEvent),
  };
  let lastScheduledTask: number | undefined;
  let lastStartedTask: number | undefined;
  // By the scheduled event's id: parallel activities start and end in any order.
  const scheduledActivities = new Map<number, number>();
  const startedActivities = new Map<number, number>();
  let lastActivityCompleted: number | undefined;
  for (const event of events) {
    const at = timeOf(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        lastScheduledTask = at;
        if (lastActivityCompleted !== undefined) gaps.activityToNextTaskMs.push(at - lastActivityCompleted);
        lastActivityCompleted = undefined;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        if (Number.isNaN(gaps.startToFirstTaskMs)) gaps.startToFirstTaskMs = at - clientStartMs;
        if (lastScheduledTask !== undefined) gaps.workflowTaskDispatchMs.push(at - lastScheduledTask);
        lastStartedTask = at;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        if (lastStartedTask !== undefined) gaps.workflowTaskRunMs.push(at - lastStartedTask);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduledActivities.set(numberOf(event.eventId), at);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const scheduledId = numberOf(event.activityTaskStartedEventAttributes?.scheduledEventId);
        const scheduled = scheduledActivities.get(scheduledId);
        if (scheduled !== undefined) gaps.activityDispatchMs.push(at - scheduled);
        startedActivities.set(scheduledId, at);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const started = startedActivities.get(numberOf(event.activityTaskCompletedEventAttributes?.scheduledEventId));
        if (started !== undefined) gaps.activityRunMs.push(at - started);
        lastActivityCompleted = at;
        break;
      }
      default:
        break;
    }
  }
  return gaps;
}
