/**
 * Task events: what a running task publishes for callers that follow it live, kept in a
 * per-task log in MongoDB outside the workflow history (docs/streaming.md).
 */
export { EventBatcher } from './event-batcher';
export type { EventBatcherOptions } from './event-batcher';
export { DEFAULT_EVENT_RETENTION_HOURS, loadEventSettings } from './event-settings';
export type { EventSettings } from './event-settings';
export { ModelCallEvents } from './model-call-events';
export type { ModelCallSite } from './model-call-events';
export {
  EventLogPausedError,
  TASK_EVENT_SOURCES_COLLECTION,
  TASK_EVENTS_COLLECTION,
  TaskEventLog,
} from './task-event-log';
export type { TaskEventLogOptions } from './task-event-log';
export { publishToolResult } from './tool-result-events';
export type { ToolCallSite } from './tool-result-events';
