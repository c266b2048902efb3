import type { ChatMessage } from '../../../src/contracts/messages';
import { contextBudget, type ContextBudgetOptions } from '../../../src/workflows/context/context-budget';
import { estimateMessagesTokens, estimateTextTokens } from '../../../src/shared/estimate-tokens';
import {
  applySummary,
  planWorkingContext,
  type CompressionRequest,
  type ConversationTurn,
  type RetrievedMemory,
  type RunningSummary,
  type WorkingContextInput,
  type WorkingContextPlan,
} from '../../../src/workflows/context/working-context';

const SYSTEM_PROMPT = `You are a careful assistant for a family. ${'Follow the house rules, answer briefly and cite what you used. '.repeat(12)}`;
const FACT = "My daughter's name is Ottilie and she is allergic to peanuts.";
const BUDGET: ContextBudgetOptions = { contextWindow: 16_000, share: 0.25, summaryShare: 0.15, memoryShare: 0.1 };

function instructionFor(turn: number): string {
  if (turn === 2) return FACT;
  if (turn === 60) return "What is my daughter's name, and what is she allergic to?";
  return `Turn ${turn}: plan the errand number ${turn} for the weekend and list what to buy at the market, with quantities.`;
}

function turnMessages(turn: number): ChatMessage[] {
  const user: ChatMessage = { role: 'user', content: instructionFor(turn) };
  const answer = `For turn ${turn}: ${'I suggest apples, bread, cheese and a detailed route through the old town, then back home. '.repeat(3)}`;
  if (turn % 7 === 0) {
    // Some turns use a tool: the call and its result must travel together.
    return [
      user,
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: `call-${turn}`, name: 'weather', arguments: '{"city":"Lisbon"}' }],
      },
      { role: 'tool', toolCallId: `call-${turn}`, content: `{"forecast":"sunny","temperatureC":${20 + (turn % 5)}}` },
      { role: 'assistant', content: answer },
    ];
  }
  return [user, { role: 'assistant', content: answer }];
}

/**
 * A stand-in for the summarize activity, pure so the test is deterministic: it keeps user
 * statements of durable facts verbatim and one line per folded range, dropping the oldest
 * lines when over target; compression keeps the fact lines only.
 */
function fakeSummarize(previous: RunningSummary | null, request: CompressionRequest, keepFacts: boolean): string {
  const lines = previous === null ? [] : previous.text.split('\n');
  if (request.kind === 'summarize-turns') {
    for (const message of request.messages) {
      if (keepFacts && message.role === 'user' && /name is|allergic/.test(message.content))
        lines.push(`The user said: ${message.content}`);
    }
    lines.push(`Turns ${request.fromTurn}-${request.throughTurn}: the user planned weekend errands and market lists.`);
  } else {
    return lines.filter((line) => line.startsWith('The user said')).join('\n') || 'The user planned errands.';
  }
  while (lines.length > 1 && estimateTextTokens(lines.join('\n')) > request.targetTokens) {
    const removable = lines.findIndex((line) => !line.startsWith('The user said'));
    lines.splice(removable === -1 ? 0 : removable, 1);
  }
  return lines.join('\n');
}

/** A stand-in for recall: facts sharing a word with the instruction, scored by overlap. */
function retrieve(facts: readonly string[], instruction: string): RetrievedMemory[] {
  const words = new Set(instruction.toLowerCase().match(/[a-z]+/g) ?? []);
  return facts
    .map((text, index) => ({
      id: `fact-${index}`,
      text,
      score: (text.toLowerCase().match(/[a-z]+/g) ?? []).filter((word) => words.has(word)).length,
    }))
    .filter((memory) => memory.score > 0);
}

interface SessionRun {
  plans: WorkingContextPlan[];
  compressions: CompressionRequest[];
}

/** Drives a session the way a workflow would: plan, compress until ready, "call", record the turn. */
function runSession(options: { turns: number; keepFactsInSummary: boolean; facts: string[] }): SessionRun {
  const history: ConversationTurn[] = [];
  let summary: RunningSummary | null = null;
  const plans: WorkingContextPlan[] = [];
  const compressions: CompressionRequest[] = [];
  for (let turn = 1; turn <= options.turns; turn += 1) {
    const instruction = instructionFor(turn);
    const input = (): WorkingContextInput => ({
      systemPrompt: SYSTEM_PROMPT,
      instruction,
      history,
      summary,
      memories: retrieve(options.facts, instruction),
      budget: BUDGET,
    });
    let plan = planWorkingContext(input());
    for (let round = 0; plan.compression !== null; round += 1) {
      if (round > 3) throw new Error(`turn ${turn}: compression did not converge`);
      compressions.push(plan.compression);
      summary = applySummary(
        summary,
        plan.compression,
        fakeSummarize(summary, plan.compression, options.keepFactsInSummary),
      );
      plan = planWorkingContext(input());
    }
    plans.push(plan);
    history.push({ turn, messages: turnMessages(turn) });
  }
  return { plans, compressions };
}

function mentions(plan: WorkingContextPlan, text: string): boolean {
  return plan.messages.some((message) => (message.content ?? '').includes(text));
}

describe('planWorkingContext over a 60-turn session', () => {
  const budget = contextBudget(BUDGET);

  it.each([
    ['the running summary', { keepFactsInSummary: true, facts: [] as string[] }],
    ['retrieval', { keepFactsInSummary: false, facts: [FACT, 'The family car is a blue estate.'] }],
  ])('keeps every call within budget and still knows the turn-2 fact at turn 60 through %s', (_, options) => {
    const { plans, compressions } = runSession({ turns: 60, ...options });
    expect(plans).toHaveLength(60);
    plans.forEach((plan, index) => {
      const turn = index + 1;
      expect(plan.fits).toBe(true);
      expect(plan.compression).toBeNull();
      expect(plan.budgetTokens).toBe(budget.total);
      expect(plan.estimatedTokens).toBeLessThanOrEqual(budget.total);
      // The estimate the plan reports is the estimate of what it sends.
      expect(plan.rawEstimatedTokens).toBe(estimateMessagesTokens(plan.messages));
      expect(plan.messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
      expect(plan.messages[plan.messages.length - 1]).toEqual({ role: 'user', content: instructionFor(turn) });
      // No tool result without the assistant call that asked for it.
      plan.messages.forEach((message, position) => {
        if (message.role !== 'tool') return;
        const caller = plan.messages
          .slice(0, position)
          .reverse()
          .find((other) => other.role === 'assistant' && other.toolCalls !== undefined);
        expect(caller?.role === 'assistant' && caller.toolCalls?.some((call) => call.id === message.toolCallId)).toBe(
          true,
        );
      });
    });
    // The conversation outgrew the budget, so older turns were summarized...
    expect(compressions.some((request) => request.kind === 'summarize-turns')).toBe(true);
    // ...in batches, not at every turn (recent turns are kept to a share of their budget).
    expect(compressions.length).toBeLessThan(20);
    expect(plans[59]!.verbatimTurns.length).toBeGreaterThan(2);
    expect(plans[59]!.verbatimTurns).not.toContain(2);
    expect(mentions(plans[59]!, 'Ottilie')).toBe(true);
    expect(mentions(plans[59]!, 'peanuts')).toBe(true);
  });

  it('sends everything verbatim while it fits', () => {
    const { plans, compressions } = runSession({ turns: 4, keepFactsInSummary: true, facts: [] });
    expect(compressions).toEqual([]);
    expect(plans[3]!.verbatimTurns).toEqual([1, 2, 3]);
    expect(plans[3]!.summaryIncluded).toBe(false);
  });
});

describe('planWorkingContext limits', () => {
  it('never cuts the system prompt or the instruction, and says when they alone do not fit', () => {
    const huge = 'rule '.repeat(5000);
    const plan = planWorkingContext({
      systemPrompt: huge,
      instruction: 'Do it.',
      history: [{ turn: 1, messages: [{ role: 'user', content: 'earlier' }] }],
      memories: [{ id: 'm', text: 'a memory', score: 1 }],
      budget: { contextWindow: 8000, share: 0.5 },
    });
    expect(plan.fits).toBe(false);
    expect(plan.messages).toEqual([
      { role: 'system', content: huge },
      { role: 'user', content: 'Do it.' },
    ]);
    expect(plan.omittedMemoryIds).toEqual(['m']);
  });

  it('keeps the current turn (tool calls and results) whole', () => {
    const current: ChatMessage[] = [
      { role: 'assistant', content: null, toolCalls: [{ id: 'c', name: 'search', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c', content: 'result '.repeat(200) },
    ];
    const plan = planWorkingContext({
      systemPrompt: 'S',
      instruction: 'I',
      currentTurnMessages: current,
      history: [],
      budget: { contextWindow: 8000, share: 0.5 },
    });
    expect(plan.messages.slice(-3)).toEqual([{ role: 'user', content: 'I' }, ...current]);
  });

  it('inserts memories by relevance within their own budget, skipping ones that do not fit', () => {
    const memories: RetrievedMemory[] = [
      { id: 'low', text: 'A minor detail.', score: 0.1 },
      { id: 'big', text: 'A very long memory. '.repeat(80), score: 0.9 },
      { id: 'top', text: 'The most relevant fact.', score: 1 },
      { id: 'top-again', text: 'The most relevant fact.', score: 0.5 },
    ];
    const plan = planWorkingContext({
      systemPrompt: 'S',
      instruction: 'I',
      history: [],
      memories,
      budget: { contextWindow: 4000, share: 1, reservedForOutput: 0, memoryShare: 0.05 },
    });
    expect(plan.includedMemoryIds).toEqual(['top', 'low']);
    expect(plan.omittedMemoryIds).toEqual(['big']);
    const memoryMessage = plan.messages.find((message) => message.content?.startsWith('Relevant memories'));
    expect(memoryMessage?.content?.indexOf('most relevant')).toBeLessThan(
      memoryMessage?.content?.indexOf('minor') ?? -1,
    );
    expect(plan.parts.memories).toBeLessThanOrEqual(
      contextBudget({ contextWindow: 4000, share: 1, reservedForOutput: 0, memoryShare: 0.05 }).memories,
    );
  });

  it('asks to re-summarize a summary that outgrew its budget, using spare room meanwhile, else leaving it out', () => {
    const budget = { contextWindow: 8000, share: 0.5 };
    const over: RunningSummary = { text: 'The user said many things. '.repeat(150), throughTurn: 10, level: 0 };
    const spare = planWorkingContext({ systemPrompt: 'S', instruction: 'I', history: [], summary: over, budget });
    expect(spare.compression?.kind).toBe('compress-summary');
    expect(spare.summaryIncluded).toBe(true);
    expect(spare.estimatedTokens).toBeLessThanOrEqual(spare.budgetTokens);

    const summary: RunningSummary = { text: 'The user said many things. '.repeat(1000), throughTurn: 10, level: 0 };
    const input: WorkingContextInput = { systemPrompt: 'S', instruction: 'I', history: [], summary, budget };
    const plan = planWorkingContext(input);
    expect(plan.compression).toEqual({
      kind: 'compress-summary',
      targetTokens: Math.floor(contextBudget(budget).summary * 0.5),
    });
    expect(plan.summaryIncluded).toBe(false);
    expect(plan.estimatedTokens).toBeLessThanOrEqual(plan.budgetTokens);
    const compressed = applySummary(summary, plan.compression!, 'The user said many things.');
    expect(compressed).toEqual({ text: 'The user said many things.', throughTurn: 10, level: 1 });
    const next = planWorkingContext({ ...input, summary: compressed });
    expect(next.compression).toBeNull();
    expect(next.summaryIncluded).toBe(true);
    expect(next.messages[1]?.content).toContain('turns 1-10');
  });

  it('asks for no summary when the summary budget is too small to hold one, and drops older turns', () => {
    const history: ConversationTurn[] = Array.from({ length: 30 }, (_, index) => ({
      turn: index + 1,
      messages: turnMessages(index + 1),
    }));
    const plan = planWorkingContext({
      systemPrompt: 'S',
      instruction: 'I',
      history,
      budget: { contextWindow: 16_000, share: 0.1, summaryShare: 0.01 },
    });
    expect(plan.compression).toBeNull();
    expect(plan.verbatimTurns.length).toBeGreaterThan(0);
    expect(plan.verbatimTurns.length).toBeLessThan(30);
    expect(plan.estimatedTokens).toBeLessThanOrEqual(plan.budgetTokens);
  });

  it('applies the calibration ratio to every part', () => {
    const history: ConversationTurn[] = Array.from({ length: 30 }, (_, index) => ({
      turn: index + 1,
      messages: turnMessages(index + 1),
    }));
    const base = { systemPrompt: 'S', instruction: 'I', history, budget: { contextWindow: 16_000, share: 0.25 } };
    const plain = planWorkingContext(base);
    const pessimistic = planWorkingContext({ ...base, calibration: { ratio: 1.5, observations: 3 } });
    expect(pessimistic.verbatimTurns.length).toBeLessThan(plain.verbatimTurns.length);
    expect(pessimistic.estimatedTokens).toBe(Math.ceil(pessimistic.rawEstimatedTokens * 1.5));
  });

  it('rejects a budget it cannot honour', () => {
    expect(() => contextBudget({ contextWindow: 0 })).toThrow(/contextWindow/);
    expect(() => contextBudget({ contextWindow: 1000, summaryShare: 0.7, memoryShare: 0.5 })).toThrow(
      /must not exceed 1/,
    );
  });
});
