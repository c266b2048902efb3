import { Context } from '@temporalio/activity';
import type { ModelCallInput, ModelCallResult, ToolCallInput, ToolCallResult } from '../../../src/contracts/activities';
import type { ModelGateway } from '../../../src/models/model-gateway';
import type { ToolRegistry } from '../../../src/tools/registry';

/** What the plain workflow's activities call: the same gateway and registry the bare loop uses. */
export interface PlainActivityDependencies {
  models: ModelGateway;
  tools: ToolRegistry;
}

/**
 * The activities of the engine-floor workflow: the same model and tool calls as Chassis,
 * with nothing around them (no routing, breakers, caches, ledger or memory), the way a
 * first Temporal program would write them.
 */
export function createPlainActivities(dependencies: PlainActivityDependencies) {
  return {
    async plainModelCall(input: ModelCallInput): Promise<ModelCallResult> {
      return dependencies.models.complete(input, { signal: Context.current().cancellationSignal });
    },
    async plainToolCall(input: ToolCallInput): Promise<ToolCallResult> {
      const context = Context.current();
      return dependencies.tools.execute(input.call, {
        idempotencyKey: input.idempotencyKey,
        signal: context.cancellationSignal,
        heartbeat: (details) => context.heartbeat(details),
      });
    },
    /** Returns at once: a hand-off with no work in it, for measuring the engine alone. */
    async noop(input: { step: string }): Promise<{ step: string }> {
      return input;
    },
  };
}

/** The plain activities' interface, for `proxyActivities` in the plain workflows (a type only). */
export type PlainActivities = ReturnType<typeof createPlainActivities>;
