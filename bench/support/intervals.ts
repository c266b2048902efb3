/** A span of time, in milliseconds since the epoch (e.g. a workflow's start and close time). */
export interface TimeInterval {
  startMs: number;
  endMs: number;
}

/**
 * The largest number of intervals open at the same instant. An interval that ends exactly
 * when another starts does not overlap it, so a chain of back-to-back intervals has a peak
 * of 1 and intervals that all overlap one instant have a peak equal to their count.
 *
 * @throws when an interval ends before it starts (a clock or bookkeeping error).
 */
export function peakConcurrency(intervals: readonly TimeInterval[]): number {
  const events: { atMs: number; change: 1 | -1 }[] = [];
  for (const interval of intervals) {
    if (interval.endMs < interval.startMs) {
      throw new Error(`interval ends (${interval.endMs}) before it starts (${interval.startMs}): check the timestamps`);
    }
    events.push({ atMs: interval.startMs, change: 1 }, { atMs: interval.endMs, change: -1 });
  }
  // At equal times, ends come before starts: touching intervals do not overlap.
  events.sort((a, b) => a.atMs - b.atMs || a.change - b.change);
  let open = 0;
  let peak = 0;
  for (const event of events) {
    open += event.change;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** Whether each interval starts no earlier than the one before it ends (a strict chain, in the given order). */
export function runsOneAfterAnother(intervals: readonly TimeInterval[]): boolean {
  return intervals.every(
    (interval, index) => index === 0 || interval.startMs >= (intervals[index - 1] as TimeInterval).endMs,
  );
}
