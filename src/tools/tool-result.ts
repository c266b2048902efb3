import type { ToolCallResult } from '../contracts/activities';

/** What `callTool` returns: the contract's {@link ToolCallResult}, cache and stored-output fields included. */
export type ToolRunResult = ToolCallResult;

/** A successful result. */
export type ToolRunSuccess = Extract<ToolRunResult, { ok: true }>;
