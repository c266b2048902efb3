import {
  chaosGoal,
  chaosModelScript,
  conditionalProbability,
  RECORD_EFFECT_TOOL,
} from '../../../src/testing/chaos/chaos-script';
import { parseScript, selectRule, type ChatRequest } from '../../../src/testing/scripted-model';

const tasks = [
  { scenario: 'unit', label: 'unit-01-abc' },
  { scenario: 'unit', label: 'unit-02-abc' },
];

function step(label: string, toolResult?: string): ChatRequest {
  const messages: ChatRequest['messages'] = [
    { role: 'system', content: 'You are Chassis, a careful assistant.' },
    { role: 'user', content: chaosGoal({ scenario: 'unit', label }) },
  ];
  if (toolResult !== undefined) {
    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: RECORD_EFFECT_TOOL, arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: toolResult },
    );
  }
  return { model: 'gpt-4.1-mini', messages, tools: [{ type: 'function', function: { name: RECORD_EFFECT_TOOL } }] };
}

function answer(request: ChatRequest, script = parseScript(chaosModelScript({ tasks }))) {
  const selection = selectRule({
    rules: script.rules,
    request,
    callNumber: 1,
    usesByRule: script.rules.map(() => 0),
    random: () => 0.5,
  });
  return selection?.rule;
}

describe('chaosModelScript', () => {
  it('first calls record_effect with the task’s own label, then answers from the tool result', () => {
    expect(answer(step('unit-02-abc'))?.reply?.toolCalls).toEqual([
      { name: RECORD_EFFECT_TOOL, arguments: { task: 'unit', label: 'unit-02-abc' } },
    ]);
    expect(answer(step('unit-01-abc', 'effect "unit-01-abc" recorded'))?.name).toBe('answer-unit-01-abc');
    expect(answer(step('unit-01-abc', '{"error":"Tool.Transient","message":"kept failing"}'))?.name).toBe(
      'answer-unit-01-abc',
    );
  });

  it('calls the tool again after its own malformed call came back as invalid arguments', () => {
    const rule = answer(step('unit-01-abc', '{"error":"Tool.InvalidArguments","message":"label: required"}'));
    expect(rule?.name).toBe('retry-unit-01-abc');
    expect(rule?.reply?.toolCalls?.[0]?.arguments).toEqual({ task: 'unit', label: 'unit-01-abc' });
  });

  it('answers fact extraction without any label, so recalled memory never names another task', () => {
    const request: ChatRequest = {
      messages: [
        { role: 'system', content: "You extract durable facts from an AI agent's conversation." },
        { role: 'user', content: `Extract facts. <<< ${chaosGoal(tasks[0] as (typeof tasks)[0])} >>>` },
      ],
    };
    const rule = answer(request);
    expect(rule?.name).toBe('facts');
    expect(rule?.reply?.content).not.toContain('unit-01');
  });

  it('puts a seeded storm in front: 429s, 500s, hangs and malformed tool calls', () => {
    const script = parseScript(chaosModelScript({ tasks, storm: { seed: 5 }, latencyMs: 100 }));
    expect(script.seed).toBe(5);
    expect(script.latencyMs).toBe(100);
    expect(script.rules.slice(0, 4).map((rule) => [rule.name, rule.probability])).toEqual([
      ['storm-429', 0.15],
      ['storm-500', conditionalProbability(0.15, 0.15)],
      ['storm-timeout', conditionalProbability(0.03, 0.3)],
      ['storm-malformed-tool-call', 0.1],
    ]);
    // Each draw below its rule's probability picks that rule.
    const draws = [0.9, 0.9, 0.9, 0.05];
    const selection = selectRule({
      rules: script.rules,
      request: step('unit-01-abc'),
      callNumber: 1,
      usesByRule: script.rules.map(() => 0),
      random: () => draws.shift() ?? 0.9,
    });
    expect(selection?.rule.name).toBe('storm-malformed-tool-call');
    expect(() => JSON.parse(selection?.rule.reply?.toolCalls?.[0]?.rawArguments ?? '')).toThrow();
  });
});

describe('conditionalProbability', () => {
  it('gives the chance a later rule needs so that it takes its share of all requests', () => {
    expect(conditionalProbability(0.15, 0.15)).toBeCloseTo(0.15 / 0.85);
    // Sequential draws: 0.15 + 0.85 × (0.15 / 0.85) = 0.30 of all requests fail.
    expect(0.15 + 0.85 * conditionalProbability(0.15, 0.15)).toBeCloseTo(0.3);
    expect(conditionalProbability(0, 0.5)).toBe(0);
    expect(conditionalProbability(0.2, 1)).toBe(1);
  });
});
