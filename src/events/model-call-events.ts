import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import { isAnswerLabel, taskIdOf } from '../contracts/task-events';
import { EventBatcher, type EventBatcherOptions } from './event-batcher';
import type { TaskEventLog } from './task-event-log';

/** Where a model call runs: from the activity's info. */
export interface ModelCallSite {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

/** Subtasks already announced by this process: later calls skip the database round trip. */
const announcedSubtasks = new Set<string>();
/** Bounds the set in a long-lived worker; forgetting only costs a round trip that answers "already announced". */
const MAX_REMEMBERED_SUBTASKS = 10_000;

/**
 * The events of one model call attempt: `step` when it starts, `token` for each streamed
 * delta, `tool` for each tool call it asks for, and, for a final answer, `answer` (the
 * task's own loop) or `subtask finished` (a subtask's). The first call of a subtask
 * announces it (`subtask started`); the log makes sure only one attempt does.
 */
export class ModelCallEvents {
  private readonly batcher: EventBatcher;
  private readonly callId: string;
  private streamedText = false;

  constructor(
    private readonly log: TaskEventLog,
    private readonly site: ModelCallSite,
    private readonly input: ModelCallInput,
    options: EventBatcherOptions = {},
  ) {
    this.batcher = new EventBatcher(log, site.workflowId, options);
    this.callId = `${site.runId}/${site.activityId}`;
  }

  private get isSubtask(): boolean {
    return taskIdOf(this.site.workflowId) !== this.site.workflowId;
  }

  private get subtaskId(): string {
    return this.site.workflowId.split('/').at(-1) ?? this.site.workflowId;
  }

  /** Announces the subtask on its first call, then the step; call before the request. */
  async started(): Promise<void> {
    if (this.isSubtask && !announcedSubtasks.has(this.site.workflowId)) {
      // Awaited so `subtask started` comes before the step's events; a failure only loses the announcement.
      const first = await this.log.announce(this.site.workflowId).catch(() => false);
      if (announcedSubtasks.size >= MAX_REMEMBERED_SUBTASKS) announcedSubtasks.clear();
      announcedSubtasks.add(this.site.workflowId);
      if (first) this.batcher.push({ type: 'subtask', phase: 'started', subtaskId: this.subtaskId });
    }
    this.batcher.push({
      type: 'step',
      callId: this.callId,
      attempt: this.site.attempt,
      label: this.input.purpose ?? 'model call',
      model: this.input.model,
      ...(this.input.route?.tier === undefined ? {} : { tier: this.input.route.tier }),
    });
  }

  /** One streamed delta of the answer's text. */
  token(text: string): void {
    if (text === '') return;
    this.streamedText = true;
    this.batcher.push({ type: 'token', callId: this.callId, attempt: this.site.attempt, text });
  }

  /** The call's result: its text (when nothing was streamed, e.g. a cached answer), tool calls and answer. */
  finished(result: ModelCallResult): void {
    const reference = { callId: this.callId, attempt: this.site.attempt };
    if (!this.streamedText && result.content !== null && result.content !== '') this.token(result.content);
    for (const call of result.toolCalls) {
      this.batcher.push({
        type: 'tool',
        phase: 'call',
        ...reference,
        toolCallId: call.id,
        name: call.name,
        arguments: call.arguments,
      });
    }
    const text = result.content?.trim() ?? '';
    const isFinalAnswer =
      result.toolCalls.length === 0 &&
      text !== '' &&
      this.input.responseFormat === undefined &&
      isAnswerLabel(this.input.purpose ?? '');
    if (!isFinalAnswer) return;
    if (this.isSubtask) {
      this.batcher.push({
        type: 'subtask',
        phase: 'finished',
        subtaskId: this.subtaskId,
        answer: result.content ?? '',
        ...reference,
      });
    } else {
      this.batcher.push({ type: 'answer', ...reference, text: result.content ?? '' });
    }
  }

  /** Writes what is buffered; waits at most `waitMs`. */
  close(waitMs?: number): Promise<void> {
    return this.batcher.close(waitMs);
  }
}
