import { addCost, addUsageLine, addUsageLines, totalTokens } from '../../src/shared/usage';

const line = (calls: number, inputTokens: number, outputTokens: number, costUsd: number) => ({
  calls,
  inputTokens,
  cachedInputTokens: 0,
  outputTokens,
  costUsd,
});

describe('usage arithmetic', () => {
  test('costs add without float noise, and a cheap call still counts', () => {
    expect(addCost(0.1, 0.2)).toBe(0.3);
    expect(addCost(0, 4e-9)).toBe(4e-9);
  });

  test('a line adds field by field; a missing total is zero', () => {
    expect(addUsageLine(undefined, line(1, 100, 10, 0.001))).toEqual(line(1, 100, 10, 0.001));
    expect(addUsageLine(line(1, 100, 10, 0.1), line(2, 50, 5, 0.2))).toEqual(line(3, 150, 15, 0.3));
  });

  test('lines add key by key into a new record, leaving the inputs as they were', () => {
    const total = { 'gpt-4.1': line(1, 100, 10, 0.1) };
    const sum = addUsageLines(total, { 'gpt-4.1': line(1, 1, 1, 0.2), 'gpt-4.1-mini': line(1, 2, 2, 0.01) });
    expect(sum).toEqual({ 'gpt-4.1': line(2, 101, 11, 0.3), 'gpt-4.1-mini': line(1, 2, 2, 0.01) });
    expect(total).toEqual({ 'gpt-4.1': line(1, 100, 10, 0.1) });
    expect(addUsageLines(total, undefined)).toEqual(total);
  });

  test("a task's tokens are its input plus output tokens", () => {
    expect(totalTokens({ inputTokens: 700, outputTokens: 120 })).toBe(820);
  });
});
