/** Default task queue for workflows and tool activities. */
export const DEFAULT_TASK_QUEUE = 'chassis-agent';

/**
 * Model calls run on their own task queue so that Temporal can enforce a provider-wide
 * rate limit (`maxTaskQueueActivitiesPerSecond`) across every worker. The name is derived
 * from the workflow's queue so a test's unique queue gets its own model queue too.
 */
export function modelTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-models`;
}
