import type { ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';

/** Failure types the tool runner returns as observations. */
export const ToolFailureType = {
  /** The tool's circuit breaker is open in this worker: the call was not run. */
  CircuitOpen: FailureType.ToolCircuitOpen,
  /** A call with side effects whose attempt died midway: it may or may not have taken effect. */
  OutcomeUnknown: FailureType.ToolOutcomeUnknown,
} as const;

/** What `callTool` returns: the contract's {@link ToolCallResult}, cache and stored-output fields included. */
export type ToolRunResult = ToolCallResult;

/** A successful result. */
export type ToolRunSuccess = Extract<ToolRunResult, { ok: true }>;
