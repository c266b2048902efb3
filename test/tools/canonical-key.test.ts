import { canonicalJson, toolCacheKey } from '../../src/tools/canonical-key';

describe('canonical cache keys', () => {
  test('key order does not matter, at any depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(toolCacheKey('search', '1', { q: 'cats', limit: 5 })).toBe(
      toolCacheKey('search', '1', { limit: 5, q: 'cats' }),
    );
  });

  test('array order, values, tool name and version all matter', () => {
    const base = toolCacheKey('search', '1', { tags: ['a', 'b'] });
    expect(toolCacheKey('search', '1', { tags: ['b', 'a'] })).not.toBe(base);
    expect(toolCacheKey('search', '1', { tags: ['a', 'c'] })).not.toBe(base);
    expect(toolCacheKey('search', '2', { tags: ['a', 'b'] })).not.toBe(base);
    expect(toolCacheKey('lookup', '1', { tags: ['a', 'b'] })).not.toBe(base);
  });

  test('undefined fields are dropped like JSON.stringify does, so optional arguments do not split the cache', () => {
    expect(toolCacheKey('clock', '1', { timezone: undefined })).toBe(toolCacheKey('clock', '1', {}));
  });

  test('fields cannot bleed into each other', () => {
    expect(toolCacheKey('ab', '1', {})).not.toBe(toolCacheKey('a', 'b1', {}));
  });

  test('keys are hex SHA-256', () => {
    expect(toolCacheKey('t', '1', { a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
