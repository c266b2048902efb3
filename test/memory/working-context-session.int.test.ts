import { createMemoryActivities } from '../../src/activities/memory-activities';
import type { ChatMessage } from '../../src/contracts/messages';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { countChatTokens } from '../../src/models/token-count';
import { ModelCatalog } from '../../src/models/catalog';
import { ModelGateway } from '../../src/models/model-gateway';
import type { ModelScriptInput, ScriptedModelServer } from '../../src/testing/scripted-model';
import {
  UNCALIBRATED,
  calibrate,
  estimateMessagesTokens,
  type TokenCalibration,
} from '../../src/shared/estimate-tokens';
import {
  applySummary,
  planWorkingContext,
  type ConversationTurn,
  type RunningSummary,
} from '../../src/workflows/context/working-context';
import { contextBudget, type ContextBudgetOptions } from '../../src/workflows/context/context-budget';
import { runActivity } from '../activities/support/activity-environment';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

/**
 * The working context end to end, without Temporal: each turn retrieves facts, plans the
 * prompt within budget, runs the summarize activity when the plan asks, calls the model,
 * records the turn and extracts facts, exactly as the session workflow is meant to. The
 * model is the scripted server (a test double); MongoDB is the real local FerretDB; the
 * assertions read the requests the model server received.
 */

const AGENT_MODEL = 'gpt-4.1-mini';
const SMALL_MODEL = 'gpt-4.1-nano';
const NAMESPACE = 'session-facts';
const SESSION = 'family-session';
const SYSTEM_PROMPT = 'You are a family assistant. Use the summary and the memories; say when you do not know.';
const FACT = "My daughter's name is Ottilie and she is allergic to peanuts.";
const QUESTION = "What is my daughter's name, and what is she allergic to?";

const SCRIPT: ModelScriptInput = {
  rules: [
    {
      name: 'summarize-with-fact',
      match: { system: '^You compress conversation history', anyMessage: 'Ottilie' },
      reply: {
        content:
          "The user's daughter is Ottilie; she is allergic to peanuts. The user has been planning weekend errands.",
      },
    },
    {
      name: 'summarize',
      match: { system: '^You compress conversation history' },
      reply: { content: 'The user has been planning weekend errands.' },
    },
    {
      name: 'extract-fact',
      match: { system: '^You extract durable facts', anyMessage: 'Ottilie' },
      reply: {
        content: JSON.stringify({
          facts: [{ text: "The user's daughter is named Ottilie and is allergic to peanuts.", category: 'fact' }],
        }),
      },
    },
    { name: 'extract-none', match: { system: '^You extract durable facts' }, reply: { content: '{"facts": []}' } },
    {
      name: 'agent',
      reply: {
        content:
          'Here is a plan: start at the bakery, then the market for apples, pears and cheese, then the hardware store for two hinges and a tube of glue, and finally the pharmacy before it closes at six.',
      },
    },
  ],
};

let database: TestDatabase;
let model: ScriptedModelServer;

beforeAll(async () => {
  database = await openTestDatabase('session');
  await ensureMemoryIndexes(database.db);
  model = await startQuietScriptedModel(SCRIPT);
});

afterAll(async () => {
  await model.close();
  await database.drop();
});

function instructionFor(turn: number): string {
  if (turn === 2) return FACT;
  if (turn === 60) return QUESTION;
  return `Turn ${turn}: plan errand number ${turn} for Saturday and tell me what to buy, with quantities.`;
}

type SentMessage = { role: string; content: string | null };

test('a 60-turn scripted session stays within budget and still knows the turn-2 fact at turn 60', async () => {
  const catalog = new ModelCatalog();
  const models = new ModelGateway({ catalog, timeoutMs: 5_000, singleEndpoint: { baseUrl: model.baseURL } });
  const activities = createMemoryActivities({ db: database.db, embedder: new HashedNgramEmbedder(), models });
  const budgetOptions: ContextBudgetOptions = {
    contextWindow: catalog.require(AGENT_MODEL).contextWindow,
    share: 0.5,
    maxTokens: 2_500,
  };
  const budget = contextBudget(budgetOptions);

  const history: ConversationTurn[] = [];
  let summary: RunningSummary | null = null;
  let calibration: TokenCalibration = UNCALIBRATED;
  const planned: number[] = [];
  let compressions = 0;

  for (let turn = 1; turn <= 60; turn += 1) {
    const instruction = instructionFor(turn);
    const found = await runActivity(() =>
      activities.searchKnowledge({ namespace: NAMESPACE, query: instruction, k: 3, kinds: ['fact'] }),
    );
    const memories = found.hits.map((hit) => ({ id: hit.chunk.id, text: hit.chunk.text, score: hit.score }));
    const plan = () =>
      planWorkingContext({
        systemPrompt: SYSTEM_PROMPT,
        instruction,
        history,
        summary,
        memories,
        budget: budgetOptions,
        calibration,
      });
    let current = plan();
    while (current.compression !== null) {
      const request = current.compression;
      compressions += 1;
      const result = await runActivity(() =>
        activities.summarize({
          model: SMALL_MODEL,
          previousSummary: summary?.text,
          messages: request.kind === 'summarize-turns' ? request.messages : [],
          targetTokens: request.targetTokens,
        }),
      );
      summary = applySummary(summary, request, result.summary);
      await runActivity(() =>
        activities.rememberEpisode({
          episode: {
            id: `${SESSION}/summary-${turn}-${compressions}`,
            sessionId: SESSION,
            kind: 'summary',
            role: 'system',
            content: result.summary,
          },
        }),
      );
      current = plan();
    }
    expect(current.fits).toBe(true);
    planned.push(current.estimatedTokens);
    const reply = await models.complete({ model: AGENT_MODEL, messages: current.messages, purpose: `turn ${turn}` });
    calibration = calibrate(calibration, {
      estimatedTokens: current.rawEstimatedTokens,
      reportedTokens: reply.usage.inputTokens,
    });
    const messages: ChatMessage[] = [
      { role: 'user', content: instruction },
      { role: 'assistant', content: reply.content },
    ];
    history.push({ turn, messages });
    for (const [index, message] of messages.entries()) {
      await runActivity(() =>
        activities.rememberEpisode({
          episode: {
            id: `${SESSION}/turn-${turn}/${index}`,
            sessionId: SESSION,
            kind: 'turn',
            role: message.role === 'user' ? 'user' : 'assistant',
            content: message.content ?? '',
          },
        }),
      );
    }
    await runActivity(() =>
      activities.extractFacts({
        model: SMALL_MODEL,
        namespace: NAMESPACE,
        messages,
        source: `${SESSION}/turn-${turn}`,
      }),
    );
  }

  const agentRequests = model.requests.filter((request) => request.ruleName === 'agent');
  expect(agentRequests).toHaveLength(60);
  const sent = agentRequests.map((request) => (request.body as { messages: SentMessage[] }).messages);
  const asChat = (messages: SentMessage[]): ChatMessage[] =>
    messages.map((message) =>
      message.role === 'assistant'
        ? { role: 'assistant', content: message.content }
        : ({ role: message.role, content: message.content ?? '' } as ChatMessage),
    );
  sent.forEach((messages, index) => {
    // What reached the model is within budget, by the plan's estimate and by the exact tokenizer.
    expect(estimateMessagesTokens(asChat(messages))).toBeLessThanOrEqual(budget.total);
    expect(countChatTokens(asChat(messages))).toBeLessThanOrEqual(budget.total);
    expect(planned[index]).toBeLessThanOrEqual(budget.total);
    expect(messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    expect(messages[messages.length - 1]).toEqual({ role: 'user', content: instructionFor(index + 1) });
  });
  // Without the working context the last request would have been far over budget.
  const fullHistory = estimateMessagesTokens([
    { role: 'system', content: SYSTEM_PROMPT },
    ...history.flatMap((turn) => turn.messages),
  ]);
  expect(fullHistory).toBeGreaterThan(1.5 * budget.total);
  expect(compressions).toBeGreaterThan(0);

  const last = sent[59]!;
  const summaryMessage = last.find(
    (message) => message.role === 'system' && message.content?.startsWith('Summary of the earlier conversation'),
  );
  const memoryMessage = last.find(
    (message) => message.role === 'system' && message.content?.startsWith('Relevant memories'),
  );
  // Turn 2 itself is long gone from the verbatim window...
  expect(last.some((message) => message.role === 'user' && message.content === FACT)).toBe(false);
  // ...but the fact is there twice over: in the running summary and as a retrieved memory.
  expect(summaryMessage?.content).toContain('Ottilie');
  expect(memoryMessage?.content).toContain('Ottilie');
  expect(memoryMessage?.content).toContain('peanuts');
  expect(calibration.observations).toBe(60);

  const recalled = await runActivity(() =>
    activities.recall({
      sessionId: SESSION,
      goal: 'daughter allergy',
      recentLimit: 2,
      relevantLimit: 3,
      kinds: ['turn'],
    }),
  );
  expect(recalled.relevant.map((item) => item.episode.content)).toContain(FACT);
});
