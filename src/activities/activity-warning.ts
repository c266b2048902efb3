import { log } from '@temporalio/activity';

/** A warning in the activity's log (with workflow and activity ids), or on the console outside an activity. */
export function warnInActivity(message: string): void {
  try {
    log.warn(message);
  } catch {
    console.warn(message);
  }
}
