import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { addInstructionUpdate, agentTaskStatusQuery } from '../../src/contracts/agent-task';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Temporal is the real dev server; the model is the scripted server, a test double for the provider.
const MODEL = 'gpt-4.1-mini';
const PLANNER = '^You are the planner';
const SYNTHESIZER = '^You are the synthesizer';

function plan(subtasks: { id: string; title: string; dependsOn?: string[] }[]): string {
  return JSON.stringify({
    mode: 'decompose',
    subtasks: subtasks.map((subtask) => ({
      id: subtask.id,
      title: subtask.title,
      instructions: `Work on ${subtask.title}.`,
      dependsOn: subtask.dependsOn ?? [],
      tools: ['calculator'],
    })),
  });
}

const THREE_PARTS = plan([
  { id: 'prices', title: 'Gather prices' },
  { id: 'volumes', title: 'Gather volumes' },
  { id: 'revenue', title: 'Combine revenue', dependsOn: ['prices', 'volumes'] },
]);

const scripted = useScriptedStack();

function start(script: ModelScriptInput, goal = 'What was the revenue?', extra: Record<string, unknown> = {}) {
  scripted.model.setScript(script);
  return scripted.stack.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `orchestration-test-${randomUUID()}`,
    args: [{ goal, model: MODEL, ...extra }],
  });
}

function bodyText(index: number): string {
  return JSON.stringify(scripted.model.requests[index]?.body ?? {});
}

describe('agentTaskWorkflow: plan → subtasks as child workflows → synthesis', () => {
  test('independent subtasks run concurrently; the dependent one gets both results; the answer is synthesized', async () => {
    const handle = await start({
      rules: [
        { name: 'plan', match: { system: PLANNER }, reply: { content: THREE_PARTS } },
        {
          name: 'prices',
          match: { lastUser: 'Your part: Gather prices' },
          reply: { content: 'PRICE=4 USD' },
          fault: { latencyMs: 1500 },
        },
        {
          name: 'volumes',
          match: { lastUser: 'Your part: Gather volumes' },
          reply: { content: 'VOLUME=250 units' },
          fault: { latencyMs: 1500 },
        },
        { name: 'revenue', match: { lastUser: 'Your part: Combine revenue' }, reply: { content: 'REVENUE=1000 USD' } },
        {
          name: 'synthesis',
          match: { system: SYNTHESIZER },
          reply: { content: 'Revenue was 1000 USD (4 USD x 250 units).' },
        },
      ],
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('Revenue was 1000 USD (4 USD x 250 units).');
    expect(result.plan.mode).toBe('decompose');
    expect(result.subtasks.map((subtask) => [subtask.id, subtask.status, subtask.workflowId])).toEqual([
      // Children are named by position, not by the planner's ids: no model-written words in workflow ids.
      ['prices', 'completed', `${handle.workflowId}/subtask-1`],
      ['volumes', 'completed', `${handle.workflowId}/subtask-2`],
      ['revenue', 'completed', `${handle.workflowId}/subtask-3`],
    ]);

    // The two independent children overlap in time (from their own histories, not our clock).
    const describe = (id: string) => scripted.stack.client.workflow.getHandle(`${handle.workflowId}/${id}`).describe();
    const [prices, volumes, revenue] = await Promise.all([
      describe('subtask-1'),
      describe('subtask-2'),
      describe('subtask-3'),
    ]);
    for (const child of [prices, volumes, revenue]) {
      expect(child.status.name).toBe('COMPLETED');
      expect(child.parentExecution?.workflowId).toBe(handle.workflowId);
    }
    const closeOf = (child: typeof prices) => (child.closeTime as Date).getTime();
    expect(prices.startTime.getTime()).toBeLessThan(closeOf(volumes));
    expect(volumes.startTime.getTime()).toBeLessThan(closeOf(prices));
    // The dependent child started after both of its dependencies closed.
    expect(revenue.startTime.getTime()).toBeGreaterThanOrEqual(Math.max(closeOf(prices), closeOf(volumes)));

    // What reached the model: the dependent subtask saw both results; the synthesis saw all three.
    const revenueRequest = scripted.model.requests.findIndex((request) => request.ruleName === 'revenue');
    expect(bodyText(revenueRequest)).toContain('PRICE=4 USD');
    expect(bodyText(revenueRequest)).toContain('VOLUME=250 units');
    const synthesisRequest = scripted.model.requests.findIndex((request) => request.ruleName === 'synthesis');
    expect(bodyText(synthesisRequest)).toContain('REVENUE=1000 USD');

    // Usage adds up over planning, three children and the synthesis.
    expect(result.usage.modelCalls).toBe(5);
    const childCalls = result.subtasks.reduce((sum, subtask) => sum + subtask.usage.modelCalls, 0);
    expect(childCalls).toBe(3);
    expect(result.routes.map((route) => route.purpose)).toEqual(['plan', 'synthesize']);
  });

  test('a failed subtask does not fail the task: dependents are skipped and the answer names what is missing', async () => {
    const handle = await start({
      rules: [
        { name: 'plan', match: { system: PLANNER }, reply: { content: THREE_PARTS } },
        { name: 'prices', match: { lastUser: 'Your part: Gather prices' }, reply: { content: 'PRICE=4 USD' } },
        // The volumes subtask's model call is rejected (401: non-retryable), so that child fails.
        {
          name: 'volumes-broken',
          match: { lastUser: 'Your part: Gather volumes' },
          reply: { content: '' },
          fault: { status: 401 },
        },
        {
          name: 'synthesis',
          match: { system: SYNTHESIZER },
          reply: { content: 'Partial: prices known; {{lastUser}}' },
        },
      ],
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(Object.fromEntries(result.subtasks.map((subtask) => [subtask.id, subtask.status]))).toEqual({
      prices: 'completed',
      volumes: 'failed',
      revenue: 'skipped',
    });
    expect(result.subtasks.find((subtask) => subtask.id === 'volumes')?.error).toContain('HTTP 401');
    expect(result.subtasks.find((subtask) => subtask.id === 'revenue')?.error).toBe('depends on "volumes" (failed)');
    // The synthesis was told which parts are missing and why; the template echoes it into the answer.
    expect(result.answer).toContain('MISSING: depends on "volumes" (failed)');
    expect(result.notes.some((note) => note.startsWith('subtask "volumes" failed'))).toBe(true);
  });

  test('an invalid plan is sent back once, then the task answers directly', async () => {
    const handle = await start({
      rules: [
        {
          name: 'cyclic-plan',
          match: { system: PLANNER },
          times: 2,
          reply: { content: plan([{ id: 'a', title: 'A', dependsOn: ['a'] }]) },
        },
        { name: 'direct-answer', reply: { content: 'answered directly' } },
      ],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', answer: 'answered directly', plan: { mode: 'direct' } });
    expect(bodyText(1)).toContain('That plan is invalid');
    expect(bodyText(1)).toContain('subtask \\"a\\" depends on itself');
    expect(result.notes.some((note) => /invalid twice/.test(note))).toBe(true);
  });

  test('a token budget stops the task cleanly with budget_exceeded, before a call it cannot pay for', async () => {
    const handle = await start(
      {
        rules: [
          {
            name: 'loop',
            reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] },
            usage: { inputTokens: 400, outputTokens: 10 },
          },
        ],
      },
      'loop forever',
      { planning: 'direct', budget: { maxTokens: 1000 } },
    );
    const result = await handle.result();
    expect(result.status).toBe('budget_exceeded');
    // Two calls used 820; the third would need at least the 400 input tokens the second was billed.
    expect(result.steps).toHaveLength(2);
    expect(result.usage.inputTokens + result.usage.outputTokens).toBe(820);
    expect(result.answer).toMatch(
      /the token budget ran out: 180 tokens left, and the next model call needs about \d+ input tokens/,
    );
    // The second call's output was capped to what the budget had left after its input.
    const caps = scripted.model.requests.map((request) => (request.body as { max_tokens?: number }).max_tokens);
    expect(caps[0]).toBeLessThanOrEqual(1000);
    expect(caps[1]).toBeLessThanOrEqual(1000 - 410 - 400);
  });

  test('four parallel subtasks share a tight token budget: the task spends no more than its budget', async () => {
    const parts = ['north', 'south', 'east', 'west'].map((id) => ({ id, title: `Count ${id}` }));
    const handle = await start(
      {
        rules: [
          {
            name: 'plan',
            match: { system: PLANNER },
            reply: { content: plan(parts) },
            usage: { inputTokens: 100, outputTokens: 20 },
          },
          // Every subtask keeps calling the calculator: only its budget stops it.
          {
            name: 'loop',
            match: { lastUser: 'Your part' },
            reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] },
            usage: { inputTokens: 150, outputTokens: 10 },
          },
          {
            name: 'synthesis',
            match: { system: SYNTHESIZER },
            reply: { content: 'All four counted.' },
            usage: { inputTokens: 200, outputTokens: 20 },
          },
        ],
      },
      'Count in four directions',
      { budget: { maxTokens: 2000 } },
    );
    const result = await handle.result();
    const spent = result.usage.inputTokens + result.usage.outputTokens;
    expect(spent).toBeLessThanOrEqual(2000);
    expect(result.status).toBe('budget_exceeded');

    // Each child got an equal share of what planning left: (2000 - 120) / (4 subtasks + the synthesis).
    expect(result.subtasks).toHaveLength(parts.length);
    for (const summary of result.subtasks) {
      const history = await scripted.stack.client.workflow.getHandle(summary.workflowId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? {};
      const childInput = defaultPayloadConverter.fromPayload<{ budget: { maxTokens?: number } }>(payload);
      expect(childInput.budget.maxTokens).toBe(376);
    }
    // They ran in parallel and each did real work within its share, then stopped for its budget.
    for (const subtask of result.subtasks) {
      expect(subtask.status).toBe('budget_exceeded');
      expect(subtask.error).toMatch(/^the token budget ran out/);
      expect(subtask.usage.modelCalls).toBeGreaterThanOrEqual(1);
      expect(subtask.usage.inputTokens + subtask.usage.outputTokens).toBeLessThanOrEqual(376);
    }
    // The synthesis still ran, with its output capped to what was left.
    const synthesis = scripted.model.requests.find((request) => request.ruleName === 'synthesis');
    const childrenSpent = result.subtasks.reduce(
      (sum, subtask) => sum + subtask.usage.inputTokens + subtask.usage.outputTokens,
      0,
    );
    expect((synthesis?.body as { max_tokens?: number }).max_tokens).toBeLessThanOrEqual(2000 - 120 - childrenSpent);
    expect(result.answer).toContain('All four counted.');
  });

  test('an added instruction is applied once per request; cancelling the parent cancels its children', async () => {
    const handle = await start({
      rules: [
        { name: 'plan', match: { system: PLANNER }, reply: { content: THREE_PARTS } },
        { name: 'slow', match: { lastUser: 'Your part' }, reply: { content: 'late' }, fault: { latencyMs: 30_000 } },
      ],
    });
    let view = await handle.query(agentTaskStatusQuery);
    for (
      let attempt = 0;
      attempt < 50 && view.subtasks.filter((subtask) => subtask.status === 'running').length < 2;
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = await handle.query(agentTaskStatusQuery);
    }
    expect(view.phase).toBe('delegating');
    expect(view.subtasks.map((subtask) => subtask.status)).toEqual(['running', 'running', 'pending']);

    const accepted = await handle.executeUpdate(addInstructionUpdate, {
      args: [{ requestId: 'r1', instruction: 'Answer in euros.' }],
    });
    expect(accepted).toEqual({ accepted: true, instructions: 1 });
    // The same request id again is a no-op (a retried update).
    expect(
      await handle.executeUpdate(addInstructionUpdate, {
        args: [{ requestId: 'r1', instruction: 'Answer in euros.' }],
      }),
    ).toEqual({
      accepted: true,
      instructions: 1,
    });
    const rejected = await handle
      .executeUpdate(addInstructionUpdate, { args: [{ requestId: 'r2', instruction: ' ' }] })
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(rejected?.name).toBe('WorkflowUpdateFailedError');
    expect(rejected?.cause).toMatchObject({ type: 'Task.InvalidInput', message: 'the instruction is empty' });
    expect((await handle.query(agentTaskStatusQuery)).instructions).toEqual(['Answer in euros.']);

    await handle.cancel();
    const result = await handle.result();
    expect(result.status).toBe('cancelled');
    const child = await scripted.stack.client.workflow.getHandle(`${handle.workflowId}/subtask-1`).describe();
    expect(['CANCELLED', 'TERMINATED']).toContain(child.status.name);
  });
});
