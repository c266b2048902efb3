import type { ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';

/** Failure types the tool runner returns as observations. */
export const ToolFailureType = {
  /** The tool's circuit breaker is open in this worker: the call was not run. */
  CircuitOpen: FailureType.ToolCircuitOpen,
  /** A call with side effects whose attempt died midway: it may or may not have taken effect. */
  OutcomeUnknown: FailureType.ToolOutcomeUnknown,
} as const;

/**
 * What `callTool` returns: a {@link ToolCallResult} plus how it was produced. A superset of
 * the contract type, so a workflow typed against `ToolCallResult` keeps working.
 * TODO(lead): add these optional fields to the ok branch of `ToolCallResult`.
 */
export type ToolRunResult = ToolCallResult & {
  /** True when the output came from the result cache and the tool did not run. */
  cached?: boolean;
  /** On a cache hit: how long the original execution took, i.e. the time this hit saved. */
  savedMs?: number;
  /** Set when the output was too long: `output` is an excerpt, the whole text is stored under this id. */
  outputRef?: string;
};

/** A successful result. */
export type ToolRunSuccess = Extract<ToolRunResult, { ok: true }>;
