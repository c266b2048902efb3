/**
 * Events a task publishes while it runs, for callers that follow it live (`chassis run`,
 * `chassis run --events`, `taskEvents()` in the client library). Workers append them to a
 * per-task log in MongoDB, outside the workflow history (docs/streaming.md).
 */

/** What every published event carries. */
export interface TaskEventEnvelope {
  /**
   * Position in the task's stream: 1, 2, 3… with no gaps once writers are done. A reader that
   * reconnects asks for the events after the last sequence it handled.
   */
  sequence: number;
  /**
   * The workflow the event comes from: the task, a subtask (`<task id>/<subtask id>`, nested
   * deeper for subtasks of subtasks), or a session and its turns (`session-<id>/turn-<n>`).
   */
  workflowId: string;
  /** When the worker published it (ISO 8601). */
  at: string;
}

/**
 * Identifies one attempt of one model call. Events of a call carry its attempt: when a model
 * call is retried (a worker died mid-stream, the stream broke), the new attempt starts with a
 * `step` event with a higher `attempt`, and the earlier attempt's tokens (and answer, if any)
 * are superseded.
 */
export interface ModelCallReference {
  /** Unique per model call of a workflow run (`<run id>/<activity id>`); the same for every attempt. */
  callId: string;
  /** 1 for the first attempt; higher for retries of the same call. */
  attempt: number;
}

/** A model call (attempt) started. */
export interface StepEvent extends TaskEventEnvelope, ModelCallReference {
  type: 'step';
  /** What the call is for, as the workflow labels it: `plan`, `step 2`, `synthesize`, `summarize session`. */
  label: string;
  model: string;
  /** The routing tier, when the call was routed. */
  tier?: string;
}

/** Text the model produced, in order; several deltas of one flush interval come as one event. */
export interface TokenEvent extends TaskEventEnvelope, ModelCallReference {
  type: 'token';
  text: string;
}

/** The model asked for a tool call (sent once its arguments are complete). */
export interface ToolCallEvent extends TaskEventEnvelope, ModelCallReference {
  type: 'tool';
  phase: 'call';
  /** The model's id of the call; the `result` event carries the same. */
  toolCallId: string;
  name: string;
  /** The arguments as the model wrote them (JSON text, possibly malformed). */
  arguments: string;
}

/** A tool call ended; a retried tool activity publishes its result again, with its attempt. */
export interface ToolResultEvent extends TaskEventEnvelope {
  type: 'tool';
  phase: 'result';
  toolCallId: string;
  name: string;
  /** The tool activity's attempt. */
  attempt: number;
  ok: boolean;
  /** The start of the output the model sees (at most {@link TOOL_OUTPUT_EXCERPT_CHARACTERS}). */
  output?: string;
  /** Why the call failed, as the model sees it. */
  error?: { type: string; message: string };
  /** Served from the tool-result cache. */
  cached?: boolean;
}

/** A subtask (child workflow) made its first model call, or produced its final answer. */
export interface SubtaskEvent extends TaskEventEnvelope {
  type: 'subtask';
  phase: 'started' | 'finished';
  /**
   * The last segment of the subtask's workflow id: `subtask-<n>`, its position in the plan
   * (ids carry no plan text, so nothing of the goal shows in Temporal with encryption on).
   */
  subtaskId: string;
  /** With `finished`: the subtask's answer, and the call that produced it. */
  answer?: string;
  callId?: string;
  attempt?: number;
}

/**
 * The model's complete answer to the task (a call that ended without tool calls). The task's
 * result, which may add a note such as "Stopped early", comes with `done`.
 */
export interface AnswerEvent extends TaskEventEnvelope, ModelCallReference {
  type: 'answer';
  text: string;
}

/** An event as it is stored in and read from a task's stream. */
export type PublishedTaskEvent = StepEvent | TokenEvent | ToolCallEvent | ToolResultEvent | SubtaskEvent | AnswerEvent;

type WithoutEnvelope<T> = T extends unknown ? Omit<T, keyof TaskEventEnvelope> : never;

/** An event as a worker hands it to the log, which adds the envelope. */
export type TaskEventInput = WithoutEnvelope<PublishedTaskEvent>;

/**
 * True for the labels of model calls whose text answers a reader: the agent loop's steps
 * (`step 3`) and the synthesis of a decomposed task. Plans, summaries and extracted facts
 * are answers for the machine.
 */
export function isAnswerLabel(label: string): boolean {
  return /^(step \d+|synthesize)$/.test(label);
}

/** How much of a tool's output a `tool` result event carries. */
export const TOOL_OUTPUT_EXCERPT_CHARACTERS = 500;

/**
 * The stream a workflow's events go to: the first segment of its id. A task and all its
 * subtasks share one stream; so do a session and its turns (each event names its workflow).
 */
export function taskStreamIdOf(workflowId: string): string {
  return workflowId.split('/')[0] ?? workflowId;
}

/**
 * The task a workflow belongs to: a session turn (`session-<id>/turn-<n>`) for the turn and
 * its subtasks, else the first segment of the id. A workflow that is not its own task is a
 * subtask.
 */
export function taskIdOf(workflowId: string): string {
  const [first = workflowId, second] = workflowId.split('/');
  if (first.startsWith('session-') && second !== undefined && /^turn-\d+$/.test(second)) return `${first}/${second}`;
  return first;
}

/** True for events of `workflowId` itself or of any of its subtasks. */
export function isEventOf(event: { workflowId: string }, workflowId: string): boolean {
  return event.workflowId === workflowId || event.workflowId.startsWith(`${workflowId}/`);
}
