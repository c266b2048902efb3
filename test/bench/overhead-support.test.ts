import {
  countingAnswer,
  countingGoal,
  countingModelCalls,
  countingScript,
  FACTS_RULE,
} from '../../bench/support/counting-task';
import { computeOverheadRatios } from '../../bench/support/overhead-ratios';
import { parseScript, selectRule, type ScriptRule } from '../../src/testing/scripted-model';
import type { ChatRequest } from '../../src/testing/scripted-model/chat-request';

/** Plays a task against the script the way an agent loop would, with the calculator's real arithmetic. */
function playTask(rules: readonly ScriptRule[], rounds: number): { answer: string; calls: number } {
  const messages: ChatRequest['messages'] = [
    { role: 'system', content: 'You are a helpful agent.' },
    { role: 'user', content: countingGoal(rounds) },
  ];
  for (let call = 1; call <= 50; call++) {
    const selection = selectRule({ rules, request: { messages }, callNumber: call, usesByRule: [] });
    if (selection === undefined) throw new Error(`no rule answers call ${call}`);
    const toolCall = selection.rule.reply?.toolCalls?.[0];
    if (toolCall === undefined) {
      // The answer's template takes the last calculator result.
      const last = [...messages].reverse().find((message) => message.role === 'tool')?.content as string;
      return { answer: (selection.rule.reply?.content ?? '').replace('{{toolResult:calculator}}', last), calls: call };
    }
    const expression = (toolCall.arguments as { expression: string }).expression;
    const [left, operator, right] = expression.split(' ');
    const value = operator === '*' ? Number(left) * Number(right) : Number(left) + Number(right);
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `c${call}`, function: { name: 'calculator' } }],
    });
    messages.push({ role: 'tool', tool_call_id: `c${call}`, content: String(value) });
  }
  throw new Error('the script never answered');
}

describe('countingScript', () => {
  const script = parseScript(countingScript([1, 10], 0));

  test.each([1, 10])('answers a %i-round task after one calculator call per round', (rounds) => {
    const played = playTask(script.rules, rounds);

    expect(played).toEqual({ answer: countingAnswer(rounds), calls: countingModelCalls(rounds) });
    expect(countingAnswer(rounds)).toBe(`The answer is ${83 + rounds}.`);
  });

  test('answers fact extraction with an empty list, whatever the conversation', () => {
    const selection = selectRule({
      rules: script.rules,
      request: {
        messages: [
          { role: 'system', content: 'You extract durable facts from a conversation.' },
          { role: 'user', content: countingGoal(1) },
        ],
      },
      callNumber: 1,
      usesByRule: [],
    });

    expect(selection?.rule.name).toBe(FACTS_RULE);
    expect(selection?.rule.reply?.content).toBe('{"facts":[]}');
  });

  test('gives every task count its own goal, and refuses a count below one', () => {
    expect(countingGoal(1)).not.toBe(countingGoal(10));
    expect(() => countingGoal(0)).toThrow('rounds must be a positive integer');
    expect(parseScript(countingScript([3], 250)).latencyMs).toBe(250);
  });
});

describe('computeOverheadRatios', () => {
  test('divides medians and reads the cost of one more step from the 1- and 10-round runs', () => {
    const ratios = computeOverheadRatios(
      {
        bare: 10,
        plain: 40,
        chassis: 46,
        'chassis-no-memory': 44,
        'chassis-codec': 50.6,
        'bare-long': 100,
        'plain-long': 265,
        'chassis-long': 316,
      },
      10,
    );

    expect(ratios).toEqual({
      plainOverBare: 4,
      chassisOverBare: 4.6,
      chassisOverPlain: 1.15,
      noMemoryOverPlain: 1.1,
      codecOverChassis: 1.1,
      perExtraStep: { bareMs: 10, plainMs: 25, chassisMs: 30, plainBeyondBareMs: 15, chassisBeyondBareMs: 20 },
    });
  });

  test('leaves out what it cannot compute, and needs two round counts for a slope', () => {
    expect(computeOverheadRatios({ bare: 10, plain: 30 }, 10)).toEqual({ plainOverBare: 3 });
    expect(() => computeOverheadRatios({}, 1)).toThrow('longRounds must be an integer above 1');
  });
});
