import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { PermanentToolError, TransientToolError } from '../../src/tools/tool-errors';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Temporal is the real dev server; the model is the scripted server, a test double for the provider.
const executions = { flaky: 0, broken: 0, backup: 0 };
const input = z.object({ city: z.string() });
const retryFast = { maximumAttempts: 3, initialRetryIntervalMs: 100 };

const tools = new ToolRegistry([
  defineTool({
    name: 'flaky_weather',
    description: 'Weather; fails twice, then answers.',
    input,
    example: { city: 'Paris' },
    policy: retryFast,
    async execute({ city }) {
      executions.flaky++;
      if (executions.flaky <= 2) throw new TransientToolError('upstream 503');
      return `sunny in ${city}`;
    },
  }),
  defineTool({
    name: 'broken_weather',
    description: 'Weather; always times out upstream.',
    input,
    example: { city: 'Paris' },
    policy: { ...retryFast, fallback: 'backup_weather' },
    async execute() {
      executions.broken++;
      throw new TransientToolError('upstream timeout');
    },
  }),
  defineTool({
    name: 'backup_weather',
    description: 'Weather from a second provider.',
    input,
    example: { city: 'Paris' },
    policy: retryFast,
    async execute({ city }) {
      executions.backup++;
      if (city === 'Atlantis') throw new PermanentToolError('no such city');
      return `cloudy in ${city}`;
    },
  }),
]);

const scripted = useScriptedStack({
  stack: (fixture) => ({ dependencies: { models: fixture.gateway({ timeoutMs: 5_000 }), tools } }),
});

function run(tool: string) {
  scripted.model.setScript({
    rules: [
      {
        name: 'call',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: tool, arguments: { city: 'Oslo' } }] },
      },
      { name: 'answer', match: { hasToolResults: true }, reply: { content: '{{lastToolResult}}' } },
    ],
  });
  return scripted.stack.client.workflow.execute<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `tool-recovery-${randomUUID()}`,
    args: [{ goal: 'Weather in Oslo?', model: 'gpt-4.1-mini', planning: 'direct', memory: false }],
  });
}

describe('tool error recovery through the engine', () => {
  test('a tool that fails twice transiently succeeds through the engine’s retries', async () => {
    const result = await run('flaky_weather');
    expect(result.answer).toBe('sunny in Oslo');
    expect(executions.flaky).toBe(3);
    expect(result.steps[0]?.toolCalls).toEqual([{ name: 'flaky_weather', ok: true }]);
  });

  test('a broken tool hands over to its fallback after its retries', async () => {
    const result = await run('broken_weather');
    expect(executions.broken).toBe(3);
    expect(executions.backup).toBe(1);
    expect(result.answer).toContain('cloudy in Oslo');
    expect(result.answer).toContain('its fallback backup_weather answered instead');
    expect(result.steps[0]?.toolCalls).toEqual([{ name: 'broken_weather', ok: true }]);
  });
});
