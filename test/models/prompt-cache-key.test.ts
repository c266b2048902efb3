import type { ModelCallInput } from '../../src/contracts/activities';
import { isCacheable, promptCacheKey } from '../../src/models/prompt-cache';

const tool = {
  name: 'calculator',
  description: 'Evaluates arithmetic',
  parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
};
const base: ModelCallInput = {
  model: 'gpt-4.1-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is 2 + 2?' },
  ],
  tools: [tool],
  temperature: 0,
  cache: true,
};

describe('promptCacheKey', () => {
  test('is a hex SHA-256 and stable across key order at every depth', () => {
    const reordered: ModelCallInput = {
      cache: true,
      temperature: 0,
      tools: [
        {
          parameters: { required: ['expression'], properties: { expression: { type: 'string' } }, type: 'object' },
          description: 'Evaluates arithmetic',
          name: 'calculator',
        },
      ],
      messages: [
        { content: 'Be brief.', role: 'system' },
        { content: 'What is 2 + 2?', role: 'user' },
      ],
      model: 'gpt-4.1-mini',
    };
    expect(promptCacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(promptCacheKey(reordered)).toBe(promptCacheKey(base));
  });

  test('labels do not count; no tools and an empty tool list are the same request', () => {
    const labelled: ModelCallInput = {
      ...base,
      purpose: 'step 3',
      route: { purpose: 'step', tier: 'small', model: 'gpt-4.1-mini', reason: 'rule x' },
    };
    expect(promptCacheKey(labelled)).toBe(promptCacheKey(base));
    expect(promptCacheKey({ ...base, tools: [] })).toBe(promptCacheKey({ ...base, tools: undefined }));
  });

  test('model, messages, tools and response format each change the key', () => {
    const keys = [
      promptCacheKey(base),
      promptCacheKey({ ...base, model: 'gpt-4.1' }),
      promptCacheKey({ ...base, messages: [...base.messages, { role: 'user', content: 'and 3 + 3?' }] }),
      promptCacheKey({ ...base, tools: [{ ...tool, description: 'Does math' }] }),
      promptCacheKey({ ...base, responseFormat: { name: 'answer', schema: { type: 'object' } } }),
      // Message order matters (arrays are not sorted).
      promptCacheKey({ ...base, messages: [...base.messages].reverse() }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('isCacheable', () => {
  test('only when the call asks for it and the temperature is 0', () => {
    expect(isCacheable(base)).toBe(true);
    expect(isCacheable({ ...base, cache: undefined })).toBe(false);
    expect(isCacheable({ ...base, cache: false })).toBe(false);
    expect(isCacheable({ ...base, temperature: 0.2 })).toBe(false);
    expect(isCacheable({ ...base, temperature: undefined })).toBe(false);
  });
});
