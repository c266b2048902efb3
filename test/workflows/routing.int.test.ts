import { randomUUID } from 'node:crypto';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Routed through the default catalog (config/models.json): small = gpt-4.1-mini → gpt-4o-mini,
// large = gpt-4.1 → gpt-4o. The scripted server (a test double) answers every endpoint.
const PLANNER = { system: '^You are the planner' };

const scripted = useScriptedStack({
  stack: (fixture) => ({ dependencies: { models: fixture.gateway({ timeoutMs: 5_000 }) } }),
});

function run(script: ModelScriptInput, planning: 'auto' | 'direct' = 'auto') {
  scripted.model.setScript(script);
  return scripted.stack.client.workflow.execute<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: scripted.stack.taskQueue,
    workflowId: `routing-test-${randomUUID()}`,
    args: [{ goal: 'What is 2 + 2?', planning }],
  });
}

const modelsCalled = () => scripted.model.requests.map((request) => (request.body as { model: string }).model);

describe('model routing on the real stack', () => {
  test('planning goes to large, a simple step to small; cost is tokens times catalog prices', async () => {
    const result = await run({
      rules: [
        {
          name: 'plan',
          match: PLANNER,
          reply: { content: '{"mode":"direct"}' },
          usage: { inputTokens: 1000, outputTokens: 100 },
        },
        {
          name: 'step',
          reply: { content: '4' },
          usage: { inputTokens: 500, outputTokens: 10, cachedInputTokens: 200 },
        },
      ],
    });
    expect(result.answer).toBe('4');
    expect(modelsCalled()).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
    expect(result.routes.map((route) => [route.purpose, route.tier, route.model, route.reason])).toEqual([
      ['plan', 'large', 'gpt-4.1', 'rule plan-and-synthesis-large'],
      ['step', 'small', 'gpt-4.1-mini', 'default tier'],
    ]);
    // gpt-4.1: $2 in / $8 out; gpt-4.1-mini: $0.4 in, $0.1 cached in, $1.6 out (per million).
    const large = (1000 * 2 + 100 * 8) / 1e6;
    const small = (300 * 0.4 + 200 * 0.1 + 10 * 1.6) / 1e6;
    expect(result.usage.byModel['gpt-4.1']).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 100 });
    expect(result.usage.byModel['gpt-4.1']?.costUsd).toBeCloseTo(large, 12);
    expect(result.usage.byTier.small?.costUsd).toBeCloseTo(small, 12);
    expect(result.usage.costUsd).toBeCloseTo(large + small, 12);
  });

  test('an empty answer from the small model escalates once to large', async () => {
    const result = await run(
      {
        rules: [
          { name: 'small-empty', match: { model: '^gpt-4\\.1-mini$' }, reply: { content: '' } },
          { name: 'large-answers', match: { model: '^gpt-4\\.1$' }, reply: { content: '4' } },
        ],
      },
      'direct',
    );
    expect(result.answer).toBe('4');
    expect(modelsCalled()).toEqual(['gpt-4.1-mini', 'gpt-4.1']);
    expect(result.usage.escalations).toBe(1);
    expect(result.steps[0]?.route).toMatchObject({
      tier: 'large',
      model: 'gpt-4.1',
      reason: 'escalated from small: empty answer',
    });
  });

  test('a model answering 500s falls back to the next in its chain; then its breaker opens and the chain moves on at once', async () => {
    const script: ModelScriptInput = {
      rules: [
        { name: 'mini-down', match: { model: '^gpt-4\\.1-mini$' }, reply: { content: 'x' }, fault: { status: 500 } },
        { name: 'backup', match: { model: '^gpt-4o-mini$' }, reply: { content: '4' } },
      ],
    };
    const first = await run(script, 'direct');
    expect(first.answer).toBe('4');
    // Three attempts by the engine's retry policy, then the fallback.
    expect(modelsCalled()).toEqual(['gpt-4.1-mini', 'gpt-4.1-mini', 'gpt-4.1-mini', 'gpt-4o-mini']);
    expect(first.usage.fallbacks).toBe(1);
    expect(first.steps[0]?.route.reason).toMatch(/^fallback after Model\.Unavailable on gpt-4\.1-mini/);

    // The default breaker opens when more than 60% of a model's last 20 calls failed (after at
    // least 5; this file's earlier successes are in the window too): within the second task's
    // attempts it opens, and the next attempt is refused in the worker without a request.
    const second = await run(script, 'direct');
    expect(second.answer).toBe('4');
    const secondCalls = modelsCalled();
    expect(secondCalls.at(-1)).toBe('gpt-4o-mini');
    expect(secondCalls.filter((name) => name === 'gpt-4.1-mini').length).toBeLessThan(3);
    expect(second.steps[0]?.route.reason).toMatch(/^fallback after Model\.CircuitOpen on gpt-4\.1-mini/);

    // While it is open, the next task skips it without a single request and without waiting for retries.
    const third = await run(script, 'direct');
    expect(third.answer).toBe('4');
    expect(modelsCalled()).toEqual(['gpt-4o-mini']);
    expect(third.steps[0]?.route.reason).toMatch(/^fallback after Model\.CircuitOpen on gpt-4\.1-mini/);
  });
});
