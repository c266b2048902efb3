import type { TaskEventInput } from '../contracts/task-events';
import type { TaskEventLog } from './task-event-log';

/** Options of {@link EventBatcher}. */
export interface EventBatcherOptions {
  /** Buffered events are written at most this long after the first of them. @default 100 */
  flushIntervalMs?: number;
  /** A buffer this large is written at once. @default 64 */
  maxBatch?: number;
  /** Where a failed write is reported (once per batcher); the events are dropped, the work goes on. */
  warn?: (message: string) => void;
}

/**
 * Buffers one writer's events (one model or tool call) and appends them in batches, so a
 * streamed answer costs a write every `flushIntervalMs`, not one per token. Consecutive
 * token deltas of the same call attempt are merged into one event. Writes are sequential,
 * so the log keeps the writer's order. Publishing is an observation, never a reason for the
 * call to fail: a failed write is reported once and later events of this writer are dropped.
 */
export class EventBatcher {
  private buffer: TaskEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failed = false;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly log: TaskEventLog,
    private readonly workflowId: string,
    private readonly options: EventBatcherOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatch = options.maxBatch ?? 64;
  }

  /** Adds an event to the buffer; written within the flush interval. */
  push(event: TaskEventInput): void {
    if (this.failed) return;
    const previous = this.buffer.at(-1);
    if (
      event.type === 'token' &&
      previous?.type === 'token' &&
      previous.callId === event.callId &&
      previous.attempt === event.attempt
    ) {
      previous.text += event.text;
      return;
    }
    this.buffer.push(event.type === 'token' ? { ...event } : event);
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs);
  }

  /** Writes what is buffered (after any write in progress); never rejects. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0 || this.failed) return this.writing;
    this.writing = this.writing.then(async () => {
      if (this.failed) return;
      try {
        await this.log.append(this.workflowId, batch);
      } catch (error) {
        this.failed = true;
        this.options.warn?.(
          `task events of ${this.workflowId} could not be published (${(error as Error).message}); followers miss them, the task goes on`,
        );
      }
    });
    return this.writing;
  }

  /**
   * Writes what is left and waits for it, at most `waitMs`: a slow database must not hold
   * up the call whose events these are (a write still running after it lands in order).
   */
  async close(waitMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
  }
}
