import type { ToolDefinition } from './messages';

/**
 * How the engine and the agent loop treat one tool. Declared with the tool, sent to the
 * workflow by `describeTools`, and turned into activity options there.
 */
export interface ToolPolicy {
  /** Start-to-close timeout of one attempt. */
  timeoutMs: number;
  /** Attempts by the engine before the model is told (or the fallback is called). */
  maximumAttempts: number;
  /** First retry delay; doubled on each attempt. */
  initialRetryIntervalMs: number;
  /** A heartbeat timeout for long tools; undefined for short ones. */
  heartbeatTimeoutMs?: number;
  /** True when calling it twice with the same arguments has no extra effect. */
  idempotent: boolean;
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
  idempotent: true,
  maxOutputChars: 8_000,
  requiresApproval: false,
  version: '1',
};

/** A tool as an agent loop receives it: its definition, and its policy when the registry sent one. */
export type AgentTool = ToolDefinition & { policy?: ToolPolicy };
