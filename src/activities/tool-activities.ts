import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ToolCallInput, ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ToolDefinition } from '../contracts/messages';
import type { ToolRegistry } from '../tools/registry';
import { PermanentToolError } from '../tools/tool-errors';

/** Input of `describeTools`. */
export interface DescribeToolsInput {
  /** @default every registered tool */
  names?: string[];
}

/** Result of `describeTools`. */
export interface DescribeToolsResult {
  tools: ToolDefinition[];
}

/** Activities that run tools; thin adapters over the registry. */
export function createToolActivities(dependencies: { tools: ToolRegistry }) {
  return {
    /** Model-facing definitions of the tools a task may use. */
    async describeTools(input: DescribeToolsInput): Promise<DescribeToolsResult> {
      try {
        return { tools: dependencies.tools.definitions(input.names) };
      } catch (error) {
        if (error instanceof PermanentToolError) {
          throw ApplicationFailure.create({
            type: FailureType.TaskInvalidInput,
            message: error.message,
            nonRetryable: true,
          });
        }
        throw error;
      }
    },

    /**
     * Runs one tool call. Observations the model can act on are returned; anything thrown
     * is retried by the engine under the tool-call retry policy, and after the last attempt
     * the workflow reports the failure to the model.
     */
    async callTool(input: ToolCallInput): Promise<ToolCallResult> {
      const context = Context.current();
      try {
        return await dependencies.tools.execute(input.call, {
          idempotencyKey: input.idempotencyKey,
          signal: context.cancellationSignal,
          heartbeat: (details) => context.heartbeat(details),
        });
      } catch (error) {
        throw ApplicationFailure.create({
          type: FailureType.ToolTransient,
          message: `tool ${input.call.name} failed (attempt ${context.info.attempt}): ${(error as Error).message}`,
          nonRetryable: false,
        });
      }
    },
  };
}
