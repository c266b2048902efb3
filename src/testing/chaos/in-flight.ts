import type { CallRecord, EffectRecord } from './effects-file';
import { labelsIn } from './recovery';

/**
 * What is running at a moment, seen from outside Chassis: side-effecting calls an MCP server
 * started but has not finished, and model requests a scripted server has not answered.
 * Pure, so it is unit-tested; the chaos rig feeds it the files and request logs.
 */

/** `record_effect` calls started (the calls file) with no effect written after them by the same server. */
export function openToolCalls(calls: readonly CallRecord[], effects: readonly EffectRecord[]): CallRecord[] {
  return calls.filter(
    (call) =>
      call.tool === 'record_effect' &&
      !effects.some(
        (effect) => effect.pid === call.pid && effect.arguments.label === call.arguments.label && effect.at >= call.at,
      ),
  );
}

/** Labels of the open `record_effect` calls of the worker with this pid (the MCP server's parent). */
export function toolCallsInFlight(
  calls: readonly CallRecord[],
  effects: readonly EffectRecord[],
  workerPid: number,
): string[] {
  return openToolCalls(calls, effects)
    .filter((call) => call.workerPid === workerPid)
    .map((call) => String(call.arguments.label));
}

/** A request as the scripted model server records it, as far as this module reads it. */
export interface PendingRequestView {
  /** e.g. `/v1/chat/completions`, `/v1/embeddings`. */
  path: string;
  receivedAt: string;
  status: number | null;
  ruleName: string | null;
  body: unknown;
}

/**
 * Labels named by requests still waiting for their answer, sent since `since` (the worker
 * process running now: a killed process's requests are never answered) and younger than
 * the client's timeout (older ones were given up). Requests the storm never answers on
 * purpose (`storm-timeout`) do not count: nobody waits for them but the client's timer.
 */
export function modelRequestsInFlight(
  requests: readonly PendingRequestView[],
  options: {
    since: number;
    now: number;
    clientTimeoutMs: number;
    labels: readonly string[];
    /** Only chat completions (the agent's model calls), not embeddings. @default false */
    chatOnly?: boolean;
  },
): string[] {
  return requests
    .filter((request) => {
      const receivedAt = Date.parse(request.receivedAt);
      return (
        request.status === null &&
        (options.chatOnly !== true || request.path.endsWith('/chat/completions')) &&
        request.ruleName !== 'storm-timeout' &&
        receivedAt >= options.since &&
        options.now - receivedAt < options.clientTimeoutMs
      );
    })
    .flatMap((request) => labelsIn(JSON.stringify(request.body), options.labels));
}
