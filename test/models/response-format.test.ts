import { applyResponseFormat, jsonSchemaName } from '../../src/models/response-format';

const schema = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
  additionalProperties: false,
};
const messages = [
  { role: 'system' as const, content: 'You are careful.' },
  { role: 'user' as const, content: 'Plan it.' },
];

describe('applyResponseFormat', () => {
  test('no responseFormat: the request is unchanged', () => {
    expect(applyResponseFormat(messages, undefined, { jsonSchema: true })).toEqual({ messages });
  });

  test('a model with jsonSchema gets strict json_schema structured output, messages untouched', () => {
    const request = applyResponseFormat(messages, { name: 'plan', schema }, { jsonSchema: true });
    expect(request).toEqual({
      messages,
      response_format: { type: 'json_schema', json_schema: { name: 'plan', schema, strict: true } },
    });
  });

  test('a model without it gets the schema as an instruction appended to the system prompt', () => {
    const request = applyResponseFormat(messages, { name: 'plan', schema }, { jsonSchema: false });
    expect(request.response_format).toBeUndefined();
    expect(request.messages).toHaveLength(2);
    const system = request.messages[0] as { role: string; content: string };
    expect(system.role).toBe('system');
    expect(system.content.startsWith('You are careful.\n\n')).toBe(true);
    expect(system.content).toContain('Answer with only a JSON value matching the JSON schema "plan"');
    expect(system.content).toContain(JSON.stringify(schema));
    expect(request.messages[1]).toBe(messages[1]);
    // The caller's array is not modified.
    expect(messages[0]?.content).toBe('You are careful.');
  });

  test('without a system message one is added first', () => {
    const request = applyResponseFormat(
      [{ role: 'user', content: 'hi' }],
      { name: 'x', schema },
      { jsonSchema: false },
    );
    expect(request.messages.map((message) => message.role)).toEqual(['system', 'user']);
  });

  test('schema names are made acceptable to the API', () => {
    expect(jsonSchemaName('plan v2 (draft)')).toBe('plan_v2__draft_');
    expect(jsonSchemaName('')).toBe('response');
    expect(jsonSchemaName('x'.repeat(80))).toHaveLength(64);
  });
});
