import type { Context } from '@temporalio/activity';

/**
 * Heartbeats every second until `work` settles, so an activity waiting on something slow
 * after its main job (publishing its events to a loaded database) is not taken for dead.
 */
export async function heartbeatDuring<T>(context: Context, work: Promise<T>): Promise<T> {
  // Local activities cannot heartbeat (the SDK warns on every try); they end with their workflow task.
  if (context.info.isLocal) return work;
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 1_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
