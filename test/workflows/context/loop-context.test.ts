import type { ChatMessage, ToolDefinition } from '../../../src/contracts/messages';
import type { ModelsDescription } from '../../../src/contracts/models';
import type { LoopMemoryState, LoopStep } from '../../../src/contracts/working-memory';
import { excerptOutput } from '../../../src/tools/output-store';
import { loopBudgetTokens, smallestContextWindow } from '../../../src/workflows/context/loop-budget';
import {
  applyCompaction,
  applyFold,
  applySummaryCompression,
  compactStep,
  digestSteps,
  estimateLoopRequest,
  loopMessages,
  newLoopMemory,
  observeRequest,
  pairingProblems,
  planLoopContext,
  type LoopContextPlan,
} from '../../../src/workflows/context/loop-context';
import { estimateTextTokens } from '../../../src/shared/estimate-tokens';

const GOAL = 'Read all 200 pages of the incident log and tell me which service failed first.';
const HEAD: ChatMessage[] = [
  { role: 'system', content: 'You are Chassis, a careful assistant that completes the task it is given.' },
  { role: 'user', content: GOAL },
];
const TOOLS: ToolDefinition[] = [
  {
    name: 'read_page',
    description: 'Reads one page of the incident log.',
    parameters: { type: 'object', properties: { page: { type: 'number' } }, required: ['page'] },
  },
];
const OPTIONS = { tools: TOOLS };

/** About 20 KB of log text for page `page`, different on every page. */
function pageText(page: number): string {
  const lines: string[] = [];
  for (let line = 0; lines.join('\n').length < 20_000; line++) {
    lines.push(
      `2026-03-${String((page % 28) + 1).padStart(2, '0')} 10:${String(line % 60).padStart(2, '0')} page ${page} line ${line}: service checkout-${line % 7} answered in ${(page * 37 + line * 11) % 900} ms`,
    );
  }
  return lines.join('\n');
}

/** One step as the loop records it: a call to read_page and its result, an excerpt of a stored output (as the tool runner makes it). */
function step(number: number, options: { instruction?: string; stored?: boolean } = {}): LoopStep {
  const output = pageText(number);
  const reference = `tool-output:${number.toString(16).padStart(64, '0')}`;
  const stored = options.stored ?? true;
  const content = stored ? excerptOutput(output, 8_000, reference, 'tool_output_read').text : output.slice(0, 3_000);
  const callId = `call_${number}_0`;
  return {
    step: number,
    messages: [
      ...(options.instruction === undefined ? [] : [{ role: 'user' as const, content: options.instruction }]),
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: callId, name: 'read_page', arguments: JSON.stringify({ page: number }) }],
      },
      { role: 'tool', toolCallId: callId, content },
    ],
    ...(stored ? { outputRefs: { [callId]: reference } } : {}),
  };
}

function withSteps(state: LoopMemoryState, steps: LoopStep[]): LoopMemoryState {
  return { ...state, steps: [...state.steps, ...steps] };
}

function hasWork(plan: LoopContextPlan): boolean {
  return plan.compact.length > 0 || plan.fold !== null || plan.compressSummary !== null;
}

/** Runs plans until none has work, folding with a stand-in summarizer (the digest). */
function fitWithDigest(state: LoopMemoryState): { state: LoopMemoryState; rounds: number; folds: number } {
  let current = state;
  let rounds = 0;
  let folds = 0;
  for (; rounds < 4; rounds++) {
    const plan = planLoopContext(current, OPTIONS);
    if (!hasWork(plan)) break;
    current = applyCompaction(current, plan.compact);
    if (plan.fold !== null) {
      folds += 1;
      current = applyFold(
        current,
        plan.fold.throughStep,
        digestSteps(current.summary?.text, plan.fold.messages, plan.fold.targetTokens),
      );
    } else if (plan.compressSummary !== null) {
      current = applySummaryCompression(
        current,
        digestSteps(current.summary?.text, [], plan.compressSummary.targetTokens),
      );
    }
  }
  return { state: current, rounds, folds };
}

describe('planLoopContext', () => {
  test('a request within the budget is sent as it is: the head, then every step whole', () => {
    const state = withSteps(newLoopMemory(HEAD, 50_000), [step(1), step(2)]);
    const plan = planLoopContext(state, OPTIONS);
    expect(hasWork(plan)).toBe(false);
    expect(plan.fits).toBe(true);
    expect(plan.estimatedTokens).toBeLessThanOrEqual(50_000);
    expect(loopMessages(state)).toEqual([...HEAD, ...step(1).messages, ...step(2).messages]);
  });

  test('over the budget, older steps are compacted first; the newest stays verbatim and the head is never cut', () => {
    const steps = [1, 2, 3, 4, 5, 6].map((number) => step(number));
    const state = withSteps(newLoopMemory(HEAD, 12_000), steps);
    const plan = planLoopContext(state, OPTIONS);
    expect(plan.estimatedTokens).toBeGreaterThan(12_000);
    expect(plan.fold).toBeNull();
    expect(plan.compact).toEqual([1, 2, 3, 4, 5]);
    const compacted = applyCompaction(state, plan.compact);
    expect(estimateLoopRequest(compacted, TOOLS)).toBeLessThanOrEqual(12_000);
    const messages = loopMessages(compacted);
    expect(messages.slice(0, 2)).toEqual(HEAD);
    expect(messages.at(-1)).toEqual(step(6).messages.at(-1));
    expect(pairingProblems(messages)).toEqual([]);
    // The next plan has nothing left to do until more steps arrive.
    expect(hasWork(planLoopContext(compacted, OPTIONS))).toBe(false);
  });

  test('when compacted steps no longer fit, the oldest are folded in a batch; their instructions stay pinned', () => {
    const steps = Array.from({ length: 40 }, (_, index) =>
      step(index + 1, index === 3 ? { instruction: 'Additional instruction from the user: ignore page 9.' } : {}),
    );
    const state = withSteps(newLoopMemory(HEAD, 12_000), steps);
    const plan = planLoopContext(state, OPTIONS);
    expect(plan.fold).not.toBeNull();
    const fold = plan.fold!;
    // Batches: well more than the one step that overflows, never the newest.
    expect(fold.throughStep).toBeGreaterThan(5);
    expect(fold.throughStep).toBeLessThan(40);
    expect(fold.messages.some((message) => message.role === 'user')).toBe(false);
    expect(pairingProblems(fold.messages)).toEqual([]);
    expect(fold.targetTokens).toBe(Math.floor(12_000 * 0.15 * 0.75));

    const folded = applyFold(
      applyCompaction(state, plan.compact),
      fold.throughStep,
      'Pages 1 to 20 showed slow checkout answers.',
    );
    const messages = loopMessages(folded);
    expect(messages.slice(0, 2)).toEqual(HEAD);
    expect(messages[2]).toEqual({
      role: 'system',
      content: expect.stringMatching(
        new RegExp(`^Summary of your steps 1-${fold.throughStep} on this task[\\s\\S]*Pages 1 to 20`),
      ),
    });
    expect(messages[3]).toEqual({ role: 'user', content: 'Additional instruction from the user: ignore page 9.' });
    expect(folded.steps[0]?.step).toBe(fold.throughStep + 1);
    expect(pairingProblems(messages)).toEqual([]);
    expect(estimateLoopRequest(folded, TOOLS)).toBeLessThanOrEqual(12_000);
  });

  test('200 steps of 20 KB outputs: every request stays within the budget, keeps the goal and pairs every call with its result', () => {
    const budget = 12_000;
    let state = newLoopMemory(HEAD, budget);
    let folds = 0;
    let compressions = 0;
    for (let number = 1; number <= 200; number++) {
      state = withSteps(state, [step(number, number % 50 === 0 ? { instruction: `instruction ${number}` } : {})]);
      const fitted = fitWithDigest(state);
      state = fitted.state;
      folds += fitted.folds;
      if (fitted.rounds > 0) compressions += 1;
      const messages = loopMessages(state);
      expect(estimateLoopRequest(state, TOOLS)).toBeLessThanOrEqual(budget);
      expect(messages.slice(0, 2)).toEqual(HEAD);
      expect(pairingProblems(messages)).toEqual([]);
      expect(
        messages.filter((message) => message.role === 'user' && message.content.startsWith('instruction')),
      ).toHaveLength(Math.floor(number / 50));
      expect(state.steps.at(-1)?.step).toBe(number);
    }
    // Compression ran every few steps, not at every step, and folds came in batches.
    expect(compressions).toBeLessThan(120);
    expect(folds).toBeLessThan(40);
    expect(state.summary?.throughStep).toBeGreaterThan(150);
  });

  test('the parts that are never cut are reported when they alone exceed the budget', () => {
    const longGoal: ChatMessage[] = [HEAD[0]!, { role: 'user', content: 'word '.repeat(3_000) }];
    const state = withSteps(newLoopMemory(longGoal, 2_000), [step(1)]);
    const plan = planLoopContext(state, OPTIONS);
    expect(plan.fits).toBe(false);
    expect(plan.fixedTokens).toBeGreaterThan(2_000);
  });

  test('a summary that outgrew its share (after the budget was lowered) is re-summarized on its own', () => {
    const summarized = applyFold(withSteps(newLoopMemory(HEAD, 40_000), [step(1), step(2)]), 1, 'fact. '.repeat(1_500));
    const lowered = { ...summarized, budgetTokens: 10_000 };
    const plan = planLoopContext(lowered, OPTIONS);
    expect(plan.fold).toBeNull();
    expect(plan.compressSummary).toEqual({ targetTokens: Math.floor(10_000 * 0.15 * 0.5) });
  });

  test('a lower calibration never lets a request grow past the budget; a higher one makes the plan stricter', () => {
    const state = withSteps(newLoopMemory(HEAD, 50_000), [step(1), step(2)]);
    const estimate = estimateLoopRequest(state, TOOLS);
    const lower = observeRequest(state, { estimatedTokens: 1_000, reportedTokens: 500 });
    expect(lower.calibration.ratio).toBeLessThan(1);
    expect(estimateLoopRequest(lower, TOOLS)).toBe(estimate);
    const higher = observeRequest(state, { estimatedTokens: 1_000, reportedTokens: 1_500 });
    expect(estimateLoopRequest(higher, TOOLS)).toBeGreaterThan(estimate);
  });
});

describe('compactStep', () => {
  test('a stored output becomes an excerpt with its reference and where to read on; the call keeps its result', () => {
    const original = step(7);
    const compacted = compactStep(original);
    const result = compacted.messages[1];
    expect(result?.role).toBe('tool');
    const content = (result as { content: string }).content;
    expect(content.length).toBeLessThan(1_000);
    expect(content.startsWith(pageText(7).slice(0, 600))).toBe(true);
    expect(content).toContain(
      `Full output stored as tool-output:${'7'.padStart(64, '0')}; read more with tool_output_read {"ref":"tool-output:${'7'.padStart(64, '0')}","offset":600}`,
    );
    expect(compacted.messages[0]).toEqual(original.messages[0]);
    expect(compacted.compacted).toBe(true);
    expect(pairingProblems(compacted.messages)).toEqual([]);
  });

  test('an output that was never stored says it is no longer available; short outputs and instructions stay whole', () => {
    const unstored = compactStep(step(3, { stored: false, instruction: 'Additional instruction: be brief.' }));
    expect(unstored.messages[0]).toEqual({ role: 'user', content: 'Additional instruction: be brief.' });
    expect((unstored.messages[2] as { content: string }).content).toMatch(
      /first 600 of 3000 characters shown\. The rest is no longer available here: call the tool again/,
    );
    const short: LoopStep = {
      step: 1,
      messages: [
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [{ id: 'a', name: 'calculator', arguments: '{"expression":"1+1"}' }],
        },
        { role: 'tool', toolCallId: 'a', content: '2' },
      ],
    };
    expect(compactStep(short).messages).toEqual(short.messages);
  });

  test('long arguments of an older call are shortened to valid JSON', () => {
    const long: LoopStep = {
      step: 2,
      messages: [
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            { id: 'w', name: 'workspace_write', arguments: JSON.stringify({ path: 'a.txt', text: 'x'.repeat(5_000) }) },
          ],
        },
        { role: 'tool', toolCallId: 'w', content: 'written' },
      ],
    };
    const compacted = compactStep(long).messages[0] as { toolCalls: { arguments: string }[] };
    const parsed = JSON.parse(compacted.toolCalls[0]!.arguments) as { note: string; start: string };
    expect(parsed.note).toMatch(/arguments shortened to save context \(\d+ characters\)/);
    expect(parsed.start).toHaveLength(600);
  });
});

describe('pairingProblems', () => {
  test('finds a tool result without its call and a call without its result', () => {
    expect(pairingProblems([HEAD[1]!, { role: 'tool', toolCallId: 'x', content: 'orphan' }])).toEqual([
      'message 1: tool result x without its call',
    ]);
    expect(
      pairingProblems([
        { role: 'assistant', content: null, toolCalls: [{ id: 'y', name: 'clock', arguments: '{}' }] },
        { role: 'user', content: 'next' },
      ]),
    ).toEqual(['call y has no result before message 1']);
  });
});

describe('digestSteps', () => {
  test('lists the calls and the start of their results, and drops the oldest lines to stay within its tokens', () => {
    const messages = [1, 2, 3].flatMap((number) => step(number).messages);
    const digest = digestSteps('Earlier: nothing found.', messages, 400);
    expect(digest.split('\n')[0]).toBe('Earlier: nothing found.');
    expect(digest).toContain('- called read_page({"page":3}) → 2026-03-04 10:00 page 3 line 0');
    const small = digestSteps('Earlier: nothing found.', messages, 160);
    expect(estimateTextTokens(small)).toBeLessThanOrEqual(160);
    expect(small).not.toContain('Earlier: nothing found.');
    expect(small.startsWith('(earlier steps omitted)')).toBe(true);
    expect(small).toContain('read_page({"page":3})');
  });
});

describe('loopBudgetTokens', () => {
  const description: ModelsDescription = {
    tiers: { small: ['mini'], large: ['big', 'medium'] },
    models: [
      { id: 'mini', contextWindow: 1_000_000, capabilities: { tools: true, jsonSchema: true } },
      { id: 'big', contextWindow: 400_000, capabilities: { tools: true, jsonSchema: true } },
      { id: 'medium', contextWindow: 128_000, capabilities: { tools: true, jsonSchema: true } },
    ],
    routing: { rules: [], defaultTier: 'small', escalationTier: 'large', cascadeFrom: ['small'] },
  };

  test('a routed loop budgets for the smallest window it may be routed to; a pinned one for its model', () => {
    expect(smallestContextWindow({ kind: 'routed', models: description })).toBe(128_000);
    expect(loopBudgetTokens({ kind: 'routed', models: description })).toBe(64_000);
    expect(loopBudgetTokens({ kind: 'pinned', model: 'big', models: description })).toBe(200_000);
    // No catalog (histories from before pinned tasks read it): the default window.
    expect(loopBudgetTokens({ kind: 'pinned', model: 'big' })).toBe(64_000);
  });

  test("the worker's share and ceiling apply, and a task's ceiling below them", () => {
    const configured = { ...description, context: { share: 0.25, maxTokens: 20_000 } };
    expect(loopBudgetTokens({ kind: 'routed', models: { ...configured, context: { share: 0.25 } } })).toBe(32_000);
    expect(loopBudgetTokens({ kind: 'routed', models: configured })).toBe(20_000);
    // A task's own ceiling applies below the worker's, never above it.
    expect(loopBudgetTokens({ kind: 'routed', models: configured }, 8_000)).toBe(8_000);
    expect(loopBudgetTokens({ kind: 'routed', models: configured }, 50_000)).toBe(20_000);
  });
});
