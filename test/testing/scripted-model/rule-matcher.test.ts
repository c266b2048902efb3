import { parseScript, selectRule } from '../../../src/testing/scripted-model';
import type { ChatRequest } from '../../../src/testing/scripted-model';

const toolTurn: ChatRequest = {
  model: 'gpt-test',
  messages: [
    { role: 'system', content: 'You are the planner.' },
    { role: 'user', content: [{ type: 'text', text: 'add numbers' }] },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'calculator', arguments: '{}' } }],
    },
    { role: 'tool', tool_call_id: 'call_a', content: '42' },
  ],
  tools: [{ type: 'function', function: { name: 'calculator' } }],
};

function ruleNameFor(match: Record<string, unknown>, request: ChatRequest, callNumber = 1): string | undefined {
  const script = parseScript({
    rules: [
      { name: 'candidate', match, reply: { content: 'x' } },
      { name: 'fallback', reply: { content: 'y' } },
    ],
  });
  return selectRule({ rules: script.rules, request, callNumber, usesByRule: [0, 0] })?.rule.name;
}

describe('selectRule', () => {
  it.each([
    [{ model: '^gpt-' }, 'candidate'],
    [{ model: '^claude' }, 'fallback'],
    [{ system: 'planner' }, 'candidate'],
    [{ system: 'writer' }, 'fallback'],
    [{ lastUser: '^add numbers$' }, 'candidate'],
    [{ anyMessage: '^42$' }, 'candidate'],
    [{ anyMessage: 'nowhere' }, 'fallback'],
    [{ hasToolResults: true }, 'candidate'],
    [{ hasToolResults: false }, 'fallback'],
    [{ lastToolResult: '4\\d' }, 'candidate'],
    [{ toolsOffered: ['calculator'] }, 'candidate'],
    [{ toolsOffered: ['calculator', 'clock'] }, 'fallback'],
    [{ callNumber: 2 }, 'fallback'],
    // 35 characters of text and arguments: 9 tokens as the server counts them.
    [{ minPromptTokens: 9 }, 'candidate'],
    [{ minPromptTokens: 10 }, 'fallback'],
    [{ lastUser: 'add', hasToolResults: true, toolsOffered: ['calculator'] }, 'candidate'],
    [{ lastUser: 'add', hasToolResults: false }, 'fallback'],
  ])('match %j picks %s', (match, expected) => {
    expect(ruleNameFor(match, toolTurn)).toBe(expected);
  });

  it('skips a rule whose uses are spent and returns undefined when nothing is left', () => {
    const script = parseScript({ rules: [{ name: 'once', times: 1, reply: { content: 'x' } }] });
    expect(selectRule({ rules: script.rules, request: toolTurn, callNumber: 1, usesByRule: [0] })?.index).toBe(0);
    expect(selectRule({ rules: script.rules, request: toolTurn, callNumber: 2, usesByRule: [1] })).toBeUndefined();
  });

  it('does not match regex conditions against a missing message', () => {
    const noSystem: ChatRequest = { messages: [{ role: 'user', content: 'hi' }] };
    expect(ruleNameFor({ system: '.*' }, noSystem)).toBe('fallback');
    expect(ruleNameFor({ lastToolResult: '.*' }, noSystem)).toBe('fallback');
  });
});
