import { randomUUID } from 'node:crypto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadModelCatalog } from '../../src/models/load-model-catalog';
import { ModelGateway } from '../../src/models/model-gateway';
import { type ModelScriptInput, type ScriptedModelServer } from '../../src/testing/scripted-model';
import { bundleWorkflows, startTestStack, type TestStack } from '../../src/testing/temporal-harness';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';

// Routed through the default catalog (config/models.json): small = gpt-4.1-mini → gpt-4o-mini,
// large = gpt-4.1 → gpt-4o. The scripted server (a test double) answers every endpoint.
const PLANNER = { system: '^You are the planner' };

let bundle: WorkflowBundleWithSourceMap;
let model: ScriptedModelServer;
let stack: TestStack;

beforeAll(async () => {
  bundle = await bundleWorkflows();
  model = await startQuietScriptedModel();
  const catalog = await loadModelCatalog();
  const models = new ModelGateway({ catalog, timeoutMs: 5_000, singleEndpoint: { baseUrl: model.baseURL } });
  stack = await startTestStack({ bundle, dependencies: { models, tools: new ToolRegistry(builtInTools()) } });
});

afterAll(async () => {
  await stack?.stop();
  await model?.close();
});

function run(script: ModelScriptInput, planning: 'auto' | 'direct' = 'auto') {
  model.setScript(script);
  return stack.client.workflow.execute<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `routing-test-${randomUUID()}`,
    args: [{ goal: 'What is 2 + 2?', planning }],
  });
}

const modelsCalled = () => model.requests.map((request) => (request.body as { model: string }).model);

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
