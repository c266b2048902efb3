/**
 * Recovery time after a worker kill.
 *
 * Definition: for each task with a call in flight on the killed worker when it was killed
 * (a model request pending at that worker's scripted model server, a side-effecting tool
 * call started by its MCP server with no effect written yet, or an activity Temporal lists
 * as started by that worker's identity), the recovery
 * time is from the kill to the first sign of that task making progress again: a new
 * request to a model server, or a new tool call, that belongs to the task. Whichever
 * worker does it counts. A task that had already returned its result is not counted (its
 * call in flight was background memory work). A task that never shows progress before the
 * observation ends contributes the time until then, flagged `censored` (a lower bound).
 * Pure, so it is unit-tested.
 */

/** A call that was running on the killed worker. */
export interface InterruptedCall {
  label: string;
  /** `other`: another activity of the task (memory recall, say), seen through Temporal. */
  kind: 'model' | 'tool' | 'other';
}

/** One worker kill and what it interrupted (taken at the moment of the kill). */
export interface KillEvent {
  /** Epoch milliseconds. */
  at: number;
  worker: string;
  pid: number;
  /** Why this moment: `tool-call`, `model-call` (targeted) or `random`. */
  reason: string;
  interrupted: InterruptedCall[];
}

/** A sign of progress of a task: a model request or a tool call start that names its label. */
export interface ProgressEvent {
  label: string;
  /** Epoch milliseconds. */
  at: number;
}

/** One recovery measurement. */
export interface RecoverySample {
  label: string;
  kind: InterruptedCall['kind'];
  killReason: string;
  milliseconds: number;
  /** True when no progress was seen before the end of observation: `milliseconds` is a lower bound. */
  censored: boolean;
}

/** Recovery samples of every interrupted call of every kill. */
export function recoverySamples(input: {
  kills: readonly KillEvent[];
  progress: readonly ProgressEvent[];
  /** When each task returned its result (epoch ms); unfinished tasks are absent. */
  finishedAt: ReadonlyMap<string, number>;
  /** End of observation (epoch ms). */
  observedUntil: number;
}): RecoverySample[] {
  const samples: RecoverySample[] = [];
  for (const kill of input.kills) {
    const seen = new Set<string>();
    for (const call of kill.interrupted) {
      // One sample per task and kill: a task has one activity in flight at a time.
      if (seen.has(call.label)) continue;
      seen.add(call.label);
      const finished = input.finishedAt.get(call.label);
      if (finished !== undefined && finished <= kill.at) continue;
      let next: number | undefined;
      for (const event of input.progress) {
        if (event.label !== call.label || event.at <= kill.at) continue;
        if (next === undefined || event.at < next) next = event.at;
      }
      samples.push({
        label: call.label,
        kind: call.kind,
        killReason: kill.reason,
        milliseconds: Math.max(0, (next ?? input.observedUntil) - kill.at),
        censored: next === undefined,
      });
    }
  }
  return samples;
}

/** The labels among `labels` that a text names (a request body, a call record). */
export function labelsIn(text: string, labels: readonly string[]): string[] {
  return labels.filter((label) => text.includes(label));
}
