import type { ModelCallResult } from '../../../src/contracts/activities';
import type { ModelsDescription, RoutingConfig } from '../../../src/contracts/models';
import { chooseTier, routeCall, tierChain } from '../../../src/workflows/routing/choose-tier';
import { outputProblem } from '../../../src/workflows/routing/validate-output';

const routing: RoutingConfig = {
  rules: [
    { name: 'plan-large', tier: 'large', when: { purpose: ['plan', 'synthesize'] } },
    { name: 'hinted-large', tier: 'large', when: { purpose: ['step'], hint: ['large'] } },
    { name: 'big-context', tier: 'large', when: { minContextTokens: 32_000 } },
    { name: 'many-tools', tier: 'large', when: { minTools: 8 } },
    { name: 'struggling', tier: 'large', when: { minFailures: 2 } },
  ],
  defaultTier: 'small',
  escalationTier: 'large',
  cascadeFrom: ['small'],
};
const description: ModelsDescription = {
  tiers: { small: ['mini', 'mini-backup'], large: ['big', 'big-backup'] },
  models: [],
  routing,
};
const step = { purpose: 'step' as const, contextTokens: 500, toolCount: 2, failures: 0 };

describe('chooseTier', () => {
  test('planning and synthesis go to large, simple steps to small', () => {
    expect(chooseTier(routing, { ...step, purpose: 'plan' })).toEqual({ tier: 'large', reason: 'rule plan-large' });
    expect(chooseTier(routing, { ...step, purpose: 'synthesize' })).toEqual({
      tier: 'large',
      reason: 'rule plan-large',
    });
    expect(chooseTier(routing, step)).toEqual({ tier: 'small', reason: 'default tier' });
    expect(chooseTier(routing, { ...step, purpose: 'summarize' }).tier).toBe('small');
  });

  test("the plan's hint, a big context, many tools and earlier failures each send a step to large", () => {
    expect(chooseTier(routing, { ...step, hint: 'large' }).reason).toBe('rule hinted-large');
    expect(chooseTier(routing, { ...step, hint: 'small' }).tier).toBe('small');
    expect(chooseTier(routing, { ...step, contextTokens: 40_000 }).reason).toBe('rule big-context');
    expect(chooseTier(routing, { ...step, toolCount: 9 }).reason).toBe('rule many-tools');
    expect(chooseTier(routing, { ...step, failures: 2 }).reason).toBe('rule struggling');
    expect(chooseTier(routing, { ...step, failures: 1 }).tier).toBe('small');
  });

  test('the first matching rule wins', () => {
    expect(
      chooseTier(
        { ...routing, rules: [{ name: 'all-small', tier: 'small', when: {} }, ...routing.rules] },
        { ...step, purpose: 'plan' },
      ),
    ).toEqual({
      tier: 'small',
      reason: 'rule all-small',
    });
  });

  test('routeCall picks the first model of the tier and records why', () => {
    expect(routeCall(description, { ...step, purpose: 'plan' })).toEqual({
      purpose: 'plan',
      tier: 'large',
      model: 'big',
      reason: 'rule plan-large',
    });
    expect(tierChain(description, 'small')).toEqual(['mini', 'mini-backup']);
    expect(() => tierChain(description, 'huge')).toThrow('tier "huge" has no models; known tiers: small, large');
  });
});

function result(partial: Partial<ModelCallResult>): ModelCallResult {
  return {
    model: 'mini',
    content: null,
    toolCalls: [],
    finishReason: 'stop',
    usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
    costUsd: 0,
    latencyMs: 1,
    ...partial,
  };
}

describe('outputProblem', () => {
  const offeredTools = ['calculator'];
  test('a plain answer or a well-formed tool call is fine', () => {
    expect(outputProblem(result({ content: '42' }), { offeredTools })).toBeUndefined();
    expect(
      outputProblem(result({ toolCalls: [{ id: 'a', name: 'calculator', arguments: '{"expression":"1"}' }] }), {
        offeredTools,
      }),
    ).toBeUndefined();
  });

  test('an empty answer and malformed tool-call JSON are problems', () => {
    expect(outputProblem(result({ content: '  ' }), { offeredTools })).toBe('empty answer');
    expect(
      outputProblem(result({ toolCalls: [{ id: 'a', name: 'calculator', arguments: '{"expr' }] }), { offeredTools }),
    ).toBe('malformed tool call: arguments of calculator are not valid JSON');
    expect(
      outputProblem(result({ toolCalls: [{ id: 'a', name: 'calculator', arguments: '[1]' }] }), { offeredTools }),
    ).toBe('arguments of calculator are not a JSON object');
  });

  test('an unknown tool is left to the model to correct', () => {
    expect(
      outputProblem(result({ toolCalls: [{ id: 'a', name: 'weather', arguments: '{' }] }), { offeredTools }),
    ).toBeUndefined();
  });

  test('JSON answers are checked against the expected shape', () => {
    const expectJson = (value: unknown) =>
      typeof value === 'object' && value !== null && 'mode' in value ? undefined : 'mode is missing';
    expect(outputProblem(result({ content: 'not json' }), { offeredTools, expectJson })).toBe(
      'the answer is not valid JSON',
    );
    expect(outputProblem(result({ content: '{"x":1}' }), { offeredTools, expectJson })).toBe(
      'the JSON does not match the schema: mode is missing',
    );
    expect(outputProblem(result({ content: '{"mode":"direct"}' }), { offeredTools, expectJson })).toBeUndefined();
  });
});
