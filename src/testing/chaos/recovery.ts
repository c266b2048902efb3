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
 *
 * Each sample also says how much of that time the infrastructure was up
 * (`whileUpMilliseconds`): the time minus the parts of it during which MongoDB or the
 * Temporal server was down. A side-effecting call cannot be resolved while the ledger's
 * database is down, so a kill that lands in the first second of a 20 s outage takes at
 * least 20 s whatever the harness does; the second figure is the harness's own share.
 *
 * And it says when the interrupted work was taken up again (`retriedMilliseconds`): from
 * the kill to the first activity of the task that Temporal shows started by another worker
 * process after the kill (the retry of the interrupted call), or to its next progress if
 * that comes first. That is the engine's recovery from the kill itself (issue 10, item 5:
 * "a call whose worker died is retried within about 10 s"); what the retry then waits for
 * (a database that is down) is in the first figure. Pure, so it is unit-tested.
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

/**
 * An activity of a task started after a kill by a worker process other than the killed one,
 * at `at` (its `lastStartedTime` in Temporal): the interrupted work taken up again.
 */
export interface RetryStart {
  label: string;
  /** Pid of the killed worker whose work this retries. */
  killedPid: number;
  /** Epoch milliseconds. */
  at: number;
}

/** A stretch of time (epoch ms) during which MongoDB or the Temporal server was down. */
export interface Downtime {
  system: 'mongodb' | 'temporal';
  from: number;
  until: number;
}

/** One recovery measurement. */
export interface RecoverySample {
  label: string;
  kind: InterruptedCall['kind'];
  killReason: string;
  milliseconds: number;
  /** `milliseconds` less the time MongoDB or Temporal was down within it. */
  whileUpMilliseconds: number;
  /** From the kill to the retry's start on a live worker, or to the next progress if sooner. */
  retriedMilliseconds: number;
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
  /** When MongoDB or Temporal was down; an outage still going on ends at `observedUntil`. */
  downtimes?: readonly Downtime[];
  /** Activities started by other workers after the kills (see {@link RetryStart}). */
  retries?: readonly RetryStart[];
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
      const next = firstAfter(kill.at, input.progress, (event) => event.label === call.label);
      const retried = firstAfter(
        kill.at,
        input.retries ?? [],
        (retry) => retry.label === call.label && retry.killedPid === kill.pid,
      );
      const until = next ?? input.observedUntil;
      const milliseconds = Math.max(0, until - kill.at);
      samples.push({
        label: call.label,
        kind: call.kind,
        killReason: kill.reason,
        milliseconds,
        whileUpMilliseconds: Math.max(0, milliseconds - downWithin(kill.at, until, input.downtimes ?? [])),
        retriedMilliseconds: Math.min(milliseconds, retried === undefined ? milliseconds : retried - kill.at),
        censored: next === undefined,
      });
    }
  }
  return samples;
}

/** The earliest time after `after` among the events `matches` picks. */
function firstAfter<T extends { at: number }>(
  after: number,
  events: readonly T[],
  matches: (event: T) => boolean,
): number | undefined {
  let first: number | undefined;
  for (const event of events) {
    if (event.at <= after || !matches(event)) continue;
    if (first === undefined || event.at < first) first = event.at;
  }
  return first;
}

/** How long, within [from, until], at least one system was down (overlapping outages counted once). */
export function downWithin(from: number, until: number, downtimes: readonly Downtime[]): number {
  const clipped = downtimes
    .map((downtime) => [Math.max(from, downtime.from), Math.min(until, downtime.until)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let coveredUntil = from;
  for (const [start, end] of clipped) {
    const begin = Math.max(start, coveredUntil);
    if (end > begin) total += end - begin;
    coveredUntil = Math.max(coveredUntil, end);
  }
  return total;
}

/** The labels among `labels` that a text names (a request body, a call record). */
export function labelsIn(text: string, labels: readonly string[]): string[] {
  return labels.filter((label) => text.includes(label));
}
