import { FailureType } from './failure-types';
import type { ToolDefinition } from './messages';

/**
 * How the engine and the agent loop treat one tool. Declared with the tool, sent to the
 * workflow by `describeTools`, and turned into activity options there.
 */
export interface ToolPolicy {
  /**
   * How long one execution of the tool may take; enforced inside the activity (the tool's
   * abort signal fires). The activity's start-to-close timeout is this plus `outageBudgetMs`
   * and a margin, so waiting for MongoDB does not count against the tool.
   */
  timeoutMs: number;
  /** Attempts by the engine before the model is told (or the fallback is called). */
  maximumAttempts: number;
  /** First retry delay; doubled on each attempt. */
  initialRetryIntervalMs: number;
  /**
   * Heartbeat timeout of one attempt. Every call heartbeats while it runs (a third of this
   * apart), so an attempt whose worker died is retried after about this long instead of
   * after its whole start-to-close timeout. @default 5_000
   */
  heartbeatTimeoutMs?: number;
  /** True when calling it twice with the same arguments has no extra effect. */
  idempotent: boolean;
  /**
   * For a tool with side effects: the system it changes deduplicates by the call's
   * idempotency key (an `Idempotency-Key` header, MCP `_meta.idempotencyKey`, a unique id
   * column), so running the call again after an attempt died midway is safe. Without it
   * (and without `checkOutcome`) such a call's outcome is reported as unknown.
   * @default false
   */
  acceptsIdempotencyKey?: boolean;
  /**
   * Set by the worker, not by tools (`CHASSIS_OUTAGE_BUDGET_MS`): how long one attempt waits
   * inside the activity for MongoDB (ledger, stored outputs) before it fails with
   * `Infra.Unavailable`. The workflow adds it to the activity's start-to-close timeout.
   */
  outageBudgetMs?: number;
  /** Results are cached across tasks for this long; undefined = not cacheable. */
  cacheTtlSeconds?: number;
  /** Outputs longer than this go to MongoDB; the model gets an excerpt and a reference. */
  maxOutputChars: number;
  /** A tool with the same input schema that takes over when this one keeps failing. */
  fallback?: string;
  /** A person must approve each call before it runs. */
  requiresApproval: boolean;
  /** With `requiresApproval`: a call nobody decides on within this time is rejected. @default wait forever */
  approvalTimeoutMs?: number;
  /**
   * Answered by a person through the workflow (e.g. `ask_user`), never run by a worker:
   * the task waits durably, across worker restarts, until the answer arrives.
   */
  answeredByPerson?: boolean;
  /** Bumped when behaviour changes, so cached results of older versions are not served. */
  version: string;
  /**
   * A pure, fast tool (no I/O, no side effects, done in milliseconds, e.g. a calculator):
   * the workflow runs it as a local activity inside the workflow task that asked for it,
   * saving a round trip through the server per call. Its result is recorded in the history
   * like an activity's. Not for tools that wait on anything: a local activity holds up its
   * workflow task while it runs. @default false
   */
  local?: boolean;
}

/** A tool as the workflow sees it: what the model is told, and the policy the engine applies. */
export interface ToolDescriptor extends ToolDefinition {
  policy: ToolPolicy;
}

/** The policy of a tool that declares none. */
export const DEFAULT_TOOL_POLICY: ToolPolicy = {
  timeoutMs: 30_000,
  maximumAttempts: 3,
  initialRetryIntervalMs: 500,
  heartbeatTimeoutMs: 5_000,
  idempotent: true,
  maxOutputChars: 8_000,
  requiresApproval: false,
  version: '1',
};

/**
 * The heartbeat timeout of a tool call: its policy's, else the default's. The workflow sets
 * it on the activity, the runner heartbeats within it, and the effect ledger's lease is as long.
 */
export function toolHeartbeatTimeoutMs(policy: Pick<ToolPolicy, 'heartbeatTimeoutMs'>): number {
  return policy.heartbeatTimeoutMs ?? DEFAULT_TOOL_POLICY.heartbeatTimeoutMs ?? 5_000;
}

/** A tool as an agent loop receives it: its definition, and its policy when the registry sent one. */
export type AgentTool = ToolDefinition & { policy?: ToolPolicy };

/**
 * What the model is told about a call with side effects whose outcome nobody can know.
 * @param why how it came to be unknown, e.g. "the attempt that ran it stopped before its outcome was recorded"
 */
export function unknownOutcomeMessage(tool: string, why: string): string {
  return (
    `${tool} may or may not have taken effect: ${why}, and this tool can neither check its outcome nor be ` +
    'repeated safely. Do not call it again with the same arguments (that could do it twice); tell the user its ' +
    'outcome is unknown, or check it another way.'
  );
}

/**
 * The tool result of a call with side effects whose outcome nobody can know (type
 * `Tool.OutcomeUnknown`): what the runner records and the workflow reports alike.
 * @param why as for {@link unknownOutcomeMessage}
 */
export function unknownOutcomeResult(
  call: { id: string; name: string },
  why: string,
): { callId: string; name: string; ok: false; error: { type: FailureType; message: string } } {
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    error: { type: FailureType.ToolOutcomeUnknown, message: unknownOutcomeMessage(call.name, why) },
  };
}
