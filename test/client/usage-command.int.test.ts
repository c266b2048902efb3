import { randomUUID } from 'node:crypto';
import { usageCommand, type UsageReport } from '../../src/client/commands/usage';
import { loadConfig } from '../../src/config/load-config';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Real Temporal dev server (visibility with the Chassis search attributes); the model is the scripted server.
const MODEL = 'gpt-4.1-mini';
const scripted = useScriptedStack({
  script: {
    rules: [
      {
        name: 'fail',
        match: { lastUser: 'please fail' },
        reply: { content: 'x' },
        fault: { status: 400, message: 'scripted bad request' },
      },
      { name: 'answer', reply: { content: 'done' }, usage: { inputTokens: 1_000, outputTokens: 20 } },
    ],
  },
  stack: (fixture) => ({ dependencies: { models: fixture.gateway({ timeoutMs: 5_000 }) } }),
});

function start(goal: string) {
  return scripted.stack.client.workflow.start('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `usage-test-${randomUUID()}`,
    args: [{ goal, model: MODEL }],
  });
}

/** Runs the command with stdout captured; returns the report and what was printed. */
async function usage(options: { json?: boolean; since?: string }): Promise<{ report: UsageReport; printed: string }> {
  let printed = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  try {
    const report = await usageCommand(loadConfig(), { ...options, taskQueue: scripted.stack.taskQueue });
    return { report, printed };
  } finally {
    write.mockRestore();
  }
}

test('chassis usage aggregates closed agent tasks from visibility, by status, model and tier', async () => {
  const handles = await Promise.all([start('first'), start('second'), start('please fail')]);
  const results = await Promise.all(
    handles.map((handle) => (handle.result() as Promise<AgentTaskResult>).catch(() => undefined)),
  );
  expect(results.map((result) => result?.status)).toEqual(['completed', 'completed', undefined]);
  const expectedTokens = results.reduce(
    (sum, result) => sum + (result === undefined ? 0 : result.usage.inputTokens + result.usage.outputTokens),
    0,
  );
  const expectedCost = results.reduce((sum, result) => sum + (result?.usage.costUsd ?? 0), 0);
  expect(expectedTokens).toBeGreaterThan(0);

  // Visibility is eventually consistent: wait until the three closed tasks are listed.
  let outcome = await usage({ json: true });
  for (let attempt = 0; attempt < 50 && outcome.report.totals.tasks < 3; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    outcome = await usage({ json: true });
  }
  const { report, printed } = outcome;
  expect(JSON.parse(printed)).toEqual(report);
  expect(report.totals).toEqual({ tasks: 3, tokens: expectedTokens, costUsd: expect.closeTo(expectedCost, 9) });
  expect(report.byStatus.completed).toMatchObject({ tasks: 2, tokens: expectedTokens });
  expect(report.byStatus.failed).toMatchObject({ tasks: 1 });
  // Per model: each completed task's result carries usage.byModel (calls = model calls of the task).
  const calls = results.reduce((sum, result) => sum + (result?.usage.modelCalls ?? 0), 0);
  expect(report.byModel[MODEL]).toMatchObject({ calls, costUsd: expect.closeTo(expectedCost, 9) });
  expect(report.breakdown).toEqual({ fromTasks: 2, withoutSplit: 0, notRead: 0 });
  expect(report.nestedTasks).toBe(0);

  const table = await usage({ since: '1h' });
  expect(table.printed).toContain('Agent tasks closed in the last 1h');
  expect(table.printed).toMatch(/completed\s+2\s/);
  expect(table.printed).toMatch(/failed\s+1\s/);
  expect(table.printed).toContain(MODEL);
});

test('a bad --since fails before connecting, with one line', async () => {
  await expect(usageCommand(loadConfig(), { since: 'a week' })).rejects.toThrow(
    '--since "a week" is not a duration: give a whole number and a unit (m, h, d or w), e.g. 30m, 24h or 7d',
  );
});
