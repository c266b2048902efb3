import type { ToolCallResult } from '../contracts/activities';
import { TOOL_OUTPUT_EXCERPT_CHARACTERS } from '../contracts/task-events';
import { EventBatcher, type EventBatcherOptions } from './event-batcher';
import type { TaskEventLog } from './task-event-log';

/** Where a tool call ran: from the activity's info. */
export interface ToolCallSite {
  workflowId: string;
  attempt: number;
}

function excerpt(text: string): string {
  return text.length > TOOL_OUTPUT_EXCERPT_CHARACTERS ? `${text.slice(0, TOOL_OUTPUT_EXCERPT_CHARACTERS)}…` : text;
}

/**
 * Publishes the `tool` result event of a finished tool call: ok with the start of its
 * output, or the failure the model sees. Waits at most `waitMs`, never throws.
 */
export async function publishToolResult(
  log: TaskEventLog,
  site: ToolCallSite,
  result: ToolCallResult,
  options: EventBatcherOptions & { waitMs?: number } = {},
): Promise<void> {
  const batcher = new EventBatcher(log, site.workflowId, options);
  const common = { type: 'tool' as const, phase: 'result' as const, toolCallId: result.callId, name: result.name };
  batcher.push(
    result.ok
      ? {
          ...common,
          attempt: site.attempt,
          ok: true,
          output: excerpt(result.output),
          ...(result.cached === true ? { cached: true } : {}),
        }
      : { ...common, attempt: site.attempt, ok: false, error: result.error },
  );
  await batcher.close(options.waitMs);
}
