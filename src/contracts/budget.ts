/** Limits of a task or subtask; any may be omitted. */
export interface Budget {
  /** Model calls of the agent loop (per subtask when given to a subtask). */
  maxSteps?: number;
  /** Input + output tokens. */
  maxTokens?: number;
  maxCostUsd?: number;
  /** Wall-clock time from the start of the task. */
  maxDurationMs?: number;
}
