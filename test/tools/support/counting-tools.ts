import { z } from 'zod';
import type { ToolPolicy } from '../../../src/contracts/tools';
import { defineTool, type Tool } from '../../../src/tools/tool';
import { TransientToolError } from '../../../src/tools/tool-errors';

/** A tool that counts its executions; `behave` decides each execution's outcome. */
export interface CountingTool {
  tool: Tool;
  executions: { args: unknown; idempotencyKey: string }[];
}

/** A lookup tool: returns `answer for <q>` after `delayMs`, counting every execution. */
export function countingLookup(
  options: { name?: string; delayMs?: number; policy?: Partial<ToolPolicy>; output?: (q: string) => string } = {},
): CountingTool {
  const executions: CountingTool['executions'] = [];
  const tool = defineTool({
    name: options.name ?? 'lookup',
    description: 'Looks up a fact. Use it for facts. Returns the fact.',
    input: z.object({ q: z.string().min(1) }),
    example: { q: 'capital of France' },
    policy: { cacheTtlSeconds: 60, ...options.policy },
    async execute({ q }, context) {
      executions.push({ args: { q }, idempotencyKey: context.idempotencyKey });
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      return options.output?.(q) ?? `answer for ${q}`;
    },
  });
  return { tool: tool as Tool, executions };
}

/** A tool that fails transiently while `failing()` is true, counting executions. */
export function flakyTool(failing: () => boolean, name = 'flaky'): CountingTool {
  const executions: CountingTool['executions'] = [];
  const tool = defineTool({
    name,
    description: 'Calls a flaky service. Returns "ok".',
    input: z.object({ n: z.number().int() }),
    example: { n: 1 },
    policy: { maximumAttempts: 3, initialRetryIntervalMs: 100 },
    async execute(args, context) {
      executions.push({ args, idempotencyKey: context.idempotencyKey });
      if (failing()) throw new TransientToolError('upstream 503');
      return 'ok';
    },
  });
  return { tool: tool as Tool, executions };
}
