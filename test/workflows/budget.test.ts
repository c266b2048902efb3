import { emptyUsage } from '../../src/contracts/usage';
import { budgetExhausted, remainingBudget } from '../../src/workflows/budget';

const usage = { ...emptyUsage(), inputTokens: 900, outputTokens: 100, costUsd: 0.02 };

describe('budgets', () => {
  test('each limit stops the task with a reason', () => {
    expect(budgetExhausted({}, { usage, steps: 100, elapsedMs: 1e9 })).toBeUndefined();
    expect(budgetExhausted({ maxSteps: 3 }, { usage, steps: 3, elapsedMs: 0 })).toBe(
      'the step budget (3 steps) ran out',
    );
    expect(budgetExhausted({ maxTokens: 1000 }, { usage, steps: 0, elapsedMs: 0 })).toBe(
      'the token budget (1000 tokens) ran out after 1000 tokens',
    );
    expect(budgetExhausted({ maxTokens: 1001 }, { usage, steps: 0, elapsedMs: 0 })).toBeUndefined();
    expect(budgetExhausted({ maxCostUsd: 0.01 }, { usage, steps: 0, elapsedMs: 0 })).toBe(
      'the cost budget ($0.01) ran out after $0.020000',
    );
    expect(budgetExhausted({ maxDurationMs: 5000 }, { usage, steps: 0, elapsedMs: 5000 })).toBe(
      'the time budget (5 s) ran out',
    );
  });

  test('a subtask gets what is left', () => {
    expect(
      remainingBudget(
        { maxTokens: 1500, maxCostUsd: 0.05, maxDurationMs: 10_000, maxSteps: 4 },
        { usage, elapsedMs: 4000 },
      ),
    ).toEqual({
      maxSteps: 4,
      maxTokens: 500,
      maxCostUsd: 0.03,
      maxDurationMs: 6000,
    });
    expect(remainingBudget({}, { usage, elapsedMs: 1 })).toEqual({});
  });
});
