import { RECORD_EFFECT_TOOL } from './chaos-script';
import { countEffects, type EffectRecord } from './effects-file';

/**
 * Per-task accounting of a chaos run, from three independent sources: what the task
 * returned (Temporal), what the tool really did (the effects file) and what the model was
 * told (the scripted server's request log). Pure, so it is unit-tested.
 */

/** How a chaos task ended, as the suite saw it. `stuck`: not finished by the deadline. */
export type ChaosTaskStatus = 'completed' | 'failed' | 'budget_exceeded' | 'cancelled' | 'stuck';

/** What the suite learned about one task from Temporal. */
export interface ChaosTaskResult {
  label: string;
  status: ChaosTaskStatus;
  /** Outcomes the task reported as unknown (the result's `unknownOutcomes`; 0 while Chassis has no such field). */
  unknownReported: number;
  /** Why it failed, when it did. */
  error?: string;
}

/** A request the scripted model server received, as far as the accounting reads it. */
export interface ObservedModelRequest {
  path: string;
  /** ISO 8601. */
  receivedAt: string;
  body: unknown;
}

/** The last result of the side-effecting tool that reached the model for a task. */
export type ToolObservation = { kind: 'none' } | { kind: 'ok'; text: string } | { kind: 'error'; type: string };

/** The accounting of one task. */
export interface ChaosTaskOutcome extends ChaosTaskResult {
  /** How many times the effect really ran. */
  executions: number;
  /** One call ran more than once. */
  duplicated: boolean;
  extraExecutions: number;
  /** Completed without the effect and without saying its outcome is unknown. */
  lost: boolean;
  /**
   * The effect ran but the model was last told the call failed, and the task did not
   * report the outcome as unknown: an outcome nobody will ever hear of.
   */
  misreported: boolean;
  observation: ToolObservation;
  /** Chat-completions requests that name the task (its agent steps and its memory's fact extraction). */
  modelRequests: number;
}

interface RequestMessage {
  role?: unknown;
  content?: unknown;
  tool_calls?: { id?: unknown; function?: { name?: unknown } }[];
  tool_call_id?: unknown;
}

function messagesOf(body: unknown): RequestMessage[] {
  const messages = (body as { messages?: unknown } | null)?.messages;
  return Array.isArray(messages) ? (messages as RequestMessage[]) : [];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === 'string' ? (part.text as string) : '')).join('\n');
  }
  return '';
}

/** The goal of a chat request: its last user message. */
function lastUserText(messages: RequestMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    if (messages[index]?.role === 'user') return textOf(messages[index]?.content);
  }
  return '';
}

/**
 * What the model was last told about the task's `chaos__record_effect` call: the tool
 * message answering the most recent call to it, in the latest request of that task's
 * agent loop. An error observation is the JSON `{"error": "<type>", "message": ...}`.
 */
export function lastToolObservation(requests: readonly ObservedModelRequest[], label: string): ToolObservation {
  let latest: { at: number; content: string } | undefined;
  for (const request of requests) {
    if (!request.path.endsWith('/chat/completions')) continue;
    const messages = messagesOf(request.body);
    if (!lastUserText(messages).includes(label)) continue;
    const callIds = new Set<string>();
    let content: string | undefined;
    for (const message of messages) {
      for (const call of message.tool_calls ?? []) {
        if (call.function?.name === RECORD_EFFECT_TOOL && typeof call.id === 'string') callIds.add(call.id);
      }
      if (message.role === 'tool' && typeof message.tool_call_id === 'string' && callIds.has(message.tool_call_id)) {
        content = textOf(message.content);
      }
    }
    const at = Date.parse(request.receivedAt);
    if (content !== undefined && (latest === undefined || at >= latest.at)) latest = { at, content };
  }
  if (latest === undefined) return { kind: 'none' };
  try {
    const parsed = JSON.parse(latest.content) as { error?: unknown };
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.error === 'string') {
      return { kind: 'error', type: parsed.error };
    }
  } catch {
    // Not JSON: the tool's own text output.
  }
  return { kind: 'ok', text: latest.content };
}

/** Accounts every task: effects, losses, duplicates and what the model was told. */
export function accountTasks(input: {
  results: readonly ChaosTaskResult[];
  effects: readonly EffectRecord[];
  requests: readonly ObservedModelRequest[];
}): ChaosTaskOutcome[] {
  const counts = countEffects(
    input.effects,
    input.results.map((result) => result.label),
  );
  return input.results.map((result) => {
    const count = counts.get(result.label);
    const executions = count?.executions ?? 0;
    const observation = lastToolObservation(input.requests, result.label);
    return {
      ...result,
      executions,
      duplicated: count?.duplicated ?? false,
      extraExecutions: count?.extraExecutions ?? 0,
      lost: result.status === 'completed' && executions === 0 && result.unknownReported === 0,
      misreported: executions > 0 && observation.kind === 'error' && result.unknownReported === 0,
      observation,
      modelRequests: input.requests.filter(
        (request) => request.path.endsWith('/chat/completions') && JSON.stringify(request.body).includes(result.label),
      ).length,
    };
  });
}

/**
 * How many outcomes a task result reports as unknown. Reads `unknownOutcomes` (a list or a
 * count) when Chassis has it, and 0 otherwise.
 */
export function unknownOutcomesOf(result: unknown): number {
  const value = (result as { unknownOutcomes?: unknown } | null)?.unknownOutcomes;
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return 0;
}
