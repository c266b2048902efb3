import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RetryReport } from '../../src/client/commands/retry';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { chassis } from './operations-support';
import { useScriptedStack } from '../support/scripted-stack';

// `chassis retry` on the real dev server; the model is the scripted test double. A counting
// tool proves that completed tool calls are not executed again after the reset.
const MODEL = 'gpt-4.1-mini';

const executions: string[] = [];
const counter = defineTool({
  name: 'counter',
  description: 'Counts its executions and returns the count.',
  input: z.object({ label: z.string() }),
  example: { label: 'a' },
  async execute({ label }) {
    executions.push(label);
    return `count=${executions.length} (${label})`;
  },
});

const scripted = useScriptedStack({
  stack: { dependencies: { tools: new ToolRegistry([...builtInTools(), counter]) } },
});

beforeEach(() => {
  executions.length = 0;
});

async function runUntilFailed(script: ModelScriptInput) {
  scripted.model.setScript(script);
  const handle = await scripted.stack.client.workflow.start('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `retry-test-${randomUUID()}`,
    args: [{ goal: 'Count twice, then answer.', model: MODEL, planning: 'direct', memory: false, tools: ['counter'] }],
  });
  const failure = await handle.result().then(
    () => undefined,
    (error: Error) => error,
  );
  expect(failure?.name).toBe('WorkflowFailedError');
  return handle;
}

const environment = () => ({ CHASSIS_TASK_QUEUE: scripted.stack.taskQueue });

describe('chassis retry', () => {
  test('a task that failed on its last step is reset there: the earlier tool calls are not executed again', async () => {
    const handle = await runUntilFailed({
      rules: [
        {
          name: 'count-a',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'counter', arguments: { label: 'a' } }] },
        },
        {
          name: 'count-b',
          match: { callNumber: 2 },
          reply: { toolCalls: [{ name: 'counter', arguments: { label: 'b' } }] },
        },
        // The provider refuses the final call once (401 is not retried by the engine), then recovers.
        {
          name: 'unauthorized',
          times: 1,
          match: { hasToolResults: true },
          fault: { status: 401, message: 'key revoked' },
        },
        { name: 'answer', match: { hasToolResults: true }, reply: { content: 'Done: {{lastToolResult}}' } },
      ],
    });
    expect(executions).toEqual(['a', 'b']);
    expect(scripted.model.requests.map((request) => request.ruleName)).toEqual(['count-a', 'count-b', 'unauthorized']);

    const run = await chassis(['retry', handle.workflowId, '--wait', '--json'], environment());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RetryReport;
    expect(report).toMatchObject({
      workflowId: handle.workflowId,
      failedRunId: handle.firstExecutionRunId,
      method: 'reset',
      outcome: { executionStatus: 'COMPLETED', status: 'completed' },
    });
    expect(report.newRunId).not.toBe(handle.firstExecutionRunId);
    // describeTools and the four calls before the failed one: kept in the history.
    expect(report.keptActivities).toBeGreaterThanOrEqual(4);

    // Only the failed model call ran again: no tool call, no earlier model call.
    expect(executions).toEqual(['a', 'b']);
    expect(scripted.model.requests.map((request) => request.ruleName)).toEqual([
      'count-a',
      'count-b',
      'unauthorized',
      'answer',
    ]);
    const result = (await scripted.stack.client.workflow.getHandle(handle.workflowId).result()) as AgentTaskResult;
    expect(result).toMatchObject({ status: 'completed', answer: 'Done: count=2 (b)' });
    expect(result.usage.toolCalls).toBe(2);

    // The failed run is now superseded: `chassis list --status failed` no longer shows the task.
    const listed = await chassis(['list', '--status', 'failed', '--task-queue', scripted.stack.taskQueue, '--json']);
    const ids = (JSON.parse(listed.stdout) as { tasks: { workflowId: string }[] }).tasks.map((task) => task.workflowId);
    expect(ids).not.toContain(handle.workflowId);
  });

  test('--new-run starts the same input afresh, linked to the failed run by memo.retryOf', async () => {
    const handle = await runUntilFailed({
      rules: [
        { name: 'unauthorized', times: 1, fault: { status: 401, message: 'key revoked' } },
        { name: 'answer', reply: { content: 'Answered on the new run.' } },
      ],
    });
    const run = await chassis(['retry', handle.workflowId, '--new-run', '--wait'], environment());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `started a new run with the same input (a new run was asked for (--new-run)); memo retryOf=${handle.workflowId}/${handle.firstExecutionRunId}`,
    );
    expect(run.stdout).toContain('new run ended: completed');
    const description = await scripted.stack.client.workflow.getHandle(handle.workflowId).describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
    expect(description.memo).toEqual({ retryOf: `${handle.workflowId}/${handle.firstExecutionRunId}` });
    expect(scripted.model.requests.at(-1)?.body).toMatchObject({
      messages: expect.arrayContaining([
        expect.objectContaining({ role: 'user', content: 'Count twice, then answer.' }),
      ]),
    });
  });

  test('a completed task or an unknown id is refused with a one-line error (exit 2)', async () => {
    scripted.model.setScript({ rules: [{ name: 'answer', reply: { content: 'fine' } }] });
    const handle = await scripted.stack.client.workflow.start('agentTaskWorkflow', {
      taskQueue: scripted.stack.taskQueue,
      workflowId: `retry-test-${randomUUID()}`,
      args: [{ goal: 'Say fine.', model: MODEL, planning: 'direct', memory: false }],
    });
    await handle.result();
    const completed = await chassis(['retry', handle.workflowId]);
    expect(completed.code).toBe(2);
    expect(completed.stderr).toBe(
      `chassis: ${handle.workflowId} is completed: only failed or timed-out tasks can be retried (find them with "chassis list --status failed,timed_out")\n`,
    );
    const unknown = await chassis(['retry', `no-such-task-${randomUUID()}`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^chassis: no workflow with id "no-such-task-[^"]+" in namespace "default"\n$/);
  });
});
