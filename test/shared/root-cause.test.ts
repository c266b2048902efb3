import { rootCause, rootCauseMessage } from '../../src/shared/root-cause';

describe('rootCause', () => {
  test('walks the cause chain to the innermost error', () => {
    const inner = new Error('provider answered HTTP 401');
    const middle = new Error('activity failed', { cause: inner });
    const outer = new Error('workflow failed', { cause: middle });
    expect(rootCause(outer)).toBe(inner);
    expect(rootCauseMessage(outer)).toBe('provider answered HTTP 401');
  });

  test('an error without an error cause is its own root; a non-error cause is not followed', () => {
    const plain = new Error('alone');
    expect(rootCause(plain)).toBe(plain);
    expect(rootCauseMessage(new Error('outer', { cause: 'a string' }))).toBe('outer');
  });

  test('a thrown non-error reads as text', () => {
    expect(rootCauseMessage('boom')).toBe('boom');
    expect(rootCauseMessage(undefined)).toBe('undefined');
  });

  test('a chain that loops back on itself ends', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(['first', 'second']).toContain(rootCauseMessage(first));
  });
});
