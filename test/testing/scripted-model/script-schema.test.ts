import { ModelScriptError, parseScript } from '../../../src/testing/scripted-model';

/** The message parseScript throws for `json`, or fails the test when it does not throw. */
function rejectionMessage(json: unknown): string {
  try {
    parseScript(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelScriptError);
    return (error as Error).message;
  }
  throw new Error('parseScript accepted an invalid script');
}

describe('parseScript', () => {
  it('applies defaults to a minimal script', () => {
    const script = parseScript({ rules: [{ name: 'hello', reply: { content: 'hi' } }] });
    expect(script.defaultModel).toBe('scripted-model');
    expect(script.embeddings.dimensions).toBe(64);
    expect(script.rules[0]?.match).toEqual({});
  });

  it('names the bad path when a reply has neither content nor tool calls', () => {
    const message = rejectionMessage({ rules: [{ name: 'empty', reply: {} }] });
    expect(message).toMatch(/^model script is invalid: rules\[0\]\.reply: /);
    expect(message).toContain('"content", "toolCalls" or both');
    expect(message).not.toContain('\n');
  });

  it('rejects a misspelled key instead of matching everything', () => {
    const message = rejectionMessage({ rules: [{ name: 'typo', mach: { lastUser: 'x' }, reply: { content: 'x' } }] });
    expect(message).toContain('rules[0]');
    expect(message).toContain('mach');
  });

  it('rejects an invalid regular expression at its path', () => {
    const message = rejectionMessage({ rules: [{ name: 'regex', match: { lastUser: '(' }, reply: { content: 'x' } }] });
    expect(message).toContain('rules[0].match.lastUser: invalid regular expression');
  });

  it('rejects a wrong type deep in a tool call', () => {
    const message = rejectionMessage({
      rules: [{ name: 'tools', reply: { toolCalls: [{ name: 'calculator', rawArguments: 42 }] } }],
    });
    expect(message).toContain('rules[0].reply.toolCalls[0].rawArguments');
  });

  it('rejects both arguments and rawArguments on one call', () => {
    const message = rejectionMessage({
      rules: [{ name: 'tools', reply: { toolCalls: [{ name: 'c', arguments: {}, rawArguments: '{' }] } }],
    });
    expect(message).toContain('rules[0].reply.toolCalls[0]: give either "arguments" or "rawArguments"');
  });

  it('rejects an unknown template in reply content', () => {
    const message = rejectionMessage({ rules: [{ name: 'template', reply: { content: 'hi {{lastuser}}' } }] });
    expect(message).toContain('rules[0].reply.content: unknown template {{lastuser}}');
  });

  it('rejects a rule without reply unless its fault answers', () => {
    expect(rejectionMessage({ rules: [{ name: 'slow', fault: { latencyMs: 10 } }] })).toContain(
      'rules[0]: a rule needs a "reply"',
    );
    expect(parseScript({ rules: [{ name: 'limited', fault: { status: 429 } }] }).rules[0]?.fault?.status).toBe(429);
    expect(parseScript({ rules: [{ name: 'stuck', fault: { hang: true } }] }).rules[0]?.fault?.hang).toBe(true);
  });

  it('rejects duplicate rule names, an empty rule list and out-of-range statuses', () => {
    expect(
      rejectionMessage({
        rules: [
          { name: 'a', reply: { content: 'x' } },
          { name: 'a', reply: { content: 'y' } },
        ],
      }),
    ).toContain('rules[1].name: duplicate rule name "a"');
    expect(rejectionMessage({ rules: [] })).toContain('rules:');
    expect(rejectionMessage({ rules: [{ name: 'ok', fault: { status: 200 } }] })).toContain('rules[0].fault.status');
  });

  it('counts the further problems in its one line', () => {
    const message = rejectionMessage({ defaultModel: 3, rules: [{ name: '', reply: {} }] });
    expect(message).toMatch(/\(and \d+ more problems?\)$/);
  });
});
