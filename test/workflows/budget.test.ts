import type { ChatMessage } from '../../src/contracts/messages';
import { emptyUsage } from '../../src/contracts/usage';
import {
  budgetExhausted,
  childShare,
  MIN_OUTPUT_TOKENS,
  modelCallAllowance,
  NO_RESERVATION,
  remainingBudget,
  reservationOf,
  shareIsEmpty,
  totalReserved,
  type BudgetReservation,
} from '../../src/workflows/budget';
import { estimateMessagesTokens } from '../../src/shared/estimate-tokens';
import { expectedInputTokens } from '../../src/workflows/loop-guards';

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

describe('parallel children share the budget', () => {
  const spentOnPlanning = {
    usage: { ...emptyUsage(), inputTokens: 100, outputTokens: 20, costUsd: 0.001 },
    elapsedMs: 0,
  };

  test('a child gets what is available divided by the shares still needed', () => {
    expect(childShare({ maxTokens: 2000, maxCostUsd: 0.011 }, spentOnPlanning, NO_RESERVATION, 5)).toEqual({
      maxSteps: undefined,
      maxTokens: 376,
      maxCostUsd: 0.002,
      maxDurationMs: undefined,
    });
    // Steps stay per loop and time runs for all at once: both pass through.
    expect(
      childShare({ maxSteps: 4, maxDurationMs: 10_000 }, { ...spentOnPlanning, elapsedMs: 4000 }, NO_RESERVATION, 3),
    ).toEqual({ maxSteps: 4, maxTokens: undefined, maxCostUsd: undefined, maxDurationMs: 6000 });
  });

  test('four children started together, then the synthesis, never hold more than the budget', () => {
    const budget = { maxTokens: 2000 };
    const reservations: BudgetReservation[] = [];
    for (let pending = 4; pending >= 1; pending--) {
      const share = childShare(budget, spentOnPlanning, totalReserved(reservations), pending + 1);
      reservations.push(reservationOf(share));
    }
    expect(reservations.map((reservation) => reservation.tokens)).toEqual([376, 376, 376, 376]);
    const held = totalReserved(reservations).tokens;
    expect(120 + held).toBeLessThanOrEqual(2000);
    // What is left is the synthesis's share.
    expect(childShare(budget, spentOnPlanning, totalReserved(reservations), 1).maxTokens).toBe(2000 - 120 - held);
  });

  test('an unspent share comes back when its child ends; a spent budget leaves an empty share', () => {
    const budget = { maxTokens: 1000 };
    const held = totalReserved([{ tokens: 400, costUsd: 0 }]);
    expect(childShare(budget, { usage: emptyUsage(), elapsedMs: 0 }, held, 2).maxTokens).toBe(300);
    // The child ended having spent 100 of its 400: its reservation is gone, its usage counted.
    const after = { usage: { ...emptyUsage(), inputTokens: 100 }, elapsedMs: 0 };
    expect(childShare(budget, after, NO_RESERVATION, 2).maxTokens).toBe(450);
    const empty = childShare(
      budget,
      { usage: { ...emptyUsage(), inputTokens: 1000 }, elapsedMs: 0 },
      NO_RESERVATION,
      2,
    );
    expect(empty.maxTokens).toBe(0);
    expect(shareIsEmpty(empty)).toBe(true);
    expect(shareIsEmpty(childShare({}, after, NO_RESERVATION, 2))).toBe(false);
  });
});

describe('one loop does not overshoot by a whole call', () => {
  test('a call whose expected input leaves too little room is not made; otherwise its output is capped to the rest', () => {
    expect(modelCallAllowance(undefined, 10_000)).toEqual({});
    expect(modelCallAllowance(216, 180)).toEqual({ maxOutputTokens: 36 });
    expect(modelCallAllowance(56, 180)).toEqual({
      stop: 'the token budget ran out: 56 tokens left, and the next model call needs about 180 input tokens',
    });
    expect(modelCallAllowance(180 + MIN_OUTPUT_TOKENS - 1, 180)).toHaveProperty('stop');
  });

  test('the next input is at least the last billed input plus the new messages', () => {
    const first: ChatMessage[] = [
      { role: 'system', content: 'You are a careful assistant.' },
      { role: 'user', content: 'What is 1+1?' },
    ];
    const estimate = expectedInputTokens(first, [], undefined);
    expect(estimate).toBe(estimateMessagesTokens(first));
    const later: ChatMessage[] = [...first, { role: 'tool', toolCallId: 'c1', content: '2' }];
    // The provider billed 150 for the first two messages: the third adds its own estimate.
    expect(expectedInputTokens(later, [], { inputTokens: 150, messageCount: 2 })).toBe(
      150 + estimateMessagesTokens(later.slice(2)),
    );
    // A provider that bills less than the estimate does not lower it.
    expect(expectedInputTokens(later, [], { inputTokens: 1, messageCount: 2 })).toBe(estimateMessagesTokens(later));
  });
});
