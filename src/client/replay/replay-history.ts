import type { DataConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundle } from '@temporalio/worker';

/** What a replay found. */
export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  /** Events in the replayed history. */
  events: number;
  /** True when the current code makes the same decisions the history recorded. */
  deterministic: boolean;
  /**
   * `nondeterminism`: the code diverged from the history (the SDK's
   * `DeterminismViolationError`); `replay-failure`: the code failed some other way while
   * replaying (a workflow task error, a decoding error).
   */
  failure?: 'nondeterminism' | 'replay-failure';
  /** Where and how it diverged, from the SDK's error. */
  message?: string;
}

/** Options of {@link replayWorkflowHistory}: which code to replay against. */
export interface ReplayOptions {
  history: History;
  workflowId: string;
  /** A workflows module (bundled on the fly), or a prebuilt bundle. */
  workflows: { workflowsPath: string } | { workflowBundle: WorkflowBundle };
  /** Needed when the history's payloads were encoded by a codec (claim check, encryption). */
  dataConverter?: DataConverter;
}

/** The current workflows, as every worker loads them. */
export const CURRENT_WORKFLOWS_PATH = require.resolve('../../workflows');

/**
 * Replays one history against workflow code with `Worker.runReplayHistory` and reports
 * whether it is deterministic. A divergence is an outcome, not an exception; other
 * errors (the code cannot be bundled, the history is malformed) are thrown.
 */
export async function replayWorkflowHistory(options: ReplayOptions): Promise<ReplayOutcome> {
  const events = options.history.events ?? [];
  const runId =
    events[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ??
    events[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ??
    '';
  const base = { workflowId: options.workflowId, runId, events: events.length };
  try {
    await Worker.runReplayHistory(
      {
        ...options.workflows,
        replayName: `chassis-replay-${options.workflowId}`,
        ...(options.dataConverter !== undefined ? { dataConverter: options.dataConverter } : {}),
      },
      options.history,
      options.workflowId,
    );
    return { ...base, deterministic: true };
  } catch (error) {
    // By name: Jest's module isolation breaks `instanceof` on Temporal's errors.
    const name = (error as Error | undefined)?.name;
    if (name === 'DeterminismViolationError') {
      return { ...base, deterministic: false, failure: 'nondeterminism', message: (error as Error).message };
    }
    if (name === 'ReplayError') {
      return { ...base, deterministic: false, failure: 'replay-failure', message: (error as Error).message };
    }
    throw error;
  }
}

/**
 * The useful part of the SDK's nondeterminism message: core wraps the reason (e.g.
 * `Activity type of scheduled event 'callModel' does not match activity type of activity
 * command 'callTool'`) in a `Failure { ... }` dump.
 */
export function divergenceSummary(message: string): string {
  const core = /\[TMPRL1100\][^"\\]*/.exec(message);
  if (core !== null) return core[0].trim();
  const details = /Details: (.*)$/s.exec(message);
  return (details?.[1] ?? message).split('\n')[0]?.trim() ?? message;
}
