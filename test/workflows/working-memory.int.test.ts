import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { startTask, waitForTask } from '../../src/client/task-client';
import { chassis } from '../client/operations-support';
import {
  addInstructionUpdate,
  agentTaskStatusQuery,
  type AgentTaskInput,
  type AgentTaskResult,
} from '../../src/contracts/agent-task';
import type { ChatMessage } from '../../src/contracts/messages';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { countTokens } from '../../src/models/token-count';
import { ModelCatalog } from '../../src/models/catalog';
import { ModelGateway } from '../../src/models/model-gateway';
import type { ModelScriptInput, RecordedRequest } from '../../src/testing/scripted-model';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool, type Tool } from '../../src/tools/tool';
import { pairingProblems } from '../../src/workflows/context/loop-context';
import { useScriptedStack } from '../support/scripted-stack';

// The agent loop's working memory on the real Temporal dev server and FerretDB; the model is
// the scripted server (a test double for the provider), and the assertions are on what
// reached it. The worker's budget (CHASSIS_CONTEXT_MAX_TOKENS) is 10,000 tokens.
const BUDGET = 10_000;
const MODEL = 'gpt-4.1-mini';
const SYSTEM = '^You are Chassis';
const GOAL = 'Read the incident log page by page and tell me which service failed first.';
const SUMMARY = 'Summary: pages were read; checkout answered slowly on every page.';

jest.setTimeout(15 * 60_000);

let pagesRead = 0;

/** About 20 KB of log lines, different on every call. */
function logPage(call: number): string {
  const lines: string[] = [];
  for (let line = 0; lines.join('\n').length < 20_000; line++) {
    lines.push(
      `2026-03-14 10:${String(line % 60).padStart(2, '0')} call ${call} line ${line}: service checkout-${line % 7} answered in ${(call * 37 + line * 11) % 900} ms`,
    );
  }
  return lines.join('\n');
}

const readPage = defineTool({
  name: 'read_page',
  description: 'Reads the next page of the incident log (about 20 KB of text).',
  input: z.object({ page: z.number().int().min(1) }),
  example: { page: 1 },
  policy: { timeoutMs: 10_000, idempotent: true },
  async execute() {
    pagesRead += 1;
    return logPage(pagesRead);
  },
});

const scripted = useScriptedStack({
  database: 'working_memory',
  stack: ({ model, database: { db } }) => {
    const models = new ModelGateway({
      catalog: new ModelCatalog(),
      timeoutMs: 20_000,
      singleEndpoint: { baseUrl: model.baseURL },
      context: { share: 0.5, maxTokens: BUDGET },
    });
    const tools = new ToolRegistry([...builtInTools({ db }), readPage as Tool]);
    return { dependencies: { models, tools, db, memory: { db, embedder: new HashedNgramEmbedder(), models } } };
  },
});

beforeEach(() => {
  pagesRead = 0;
});

interface SentMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}
interface SentRequest {
  messages: SentMessage[];
  tools?: { function: { name: string; description?: string; parameters?: unknown } }[];
}

function bodyOf(request: RecordedRequest): SentRequest {
  return request.body as SentRequest;
}

/** Exact o200k tokens of a request as it went over the wire: texts, tool calls, tool definitions and the chat format's overhead. */
function exactTokens(request: SentRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 4 + countTokens(message.content ?? '');
    for (const call of message.tool_calls ?? [])
      tokens += 8 + countTokens(call.function.name) + countTokens(call.function.arguments);
  }
  for (const tool of request.tools ?? []) tokens += 8 + countTokens(JSON.stringify(tool.function));
  return tokens;
}

/** The request in the contract's message form, to check tool-call pairing. */
function asChatMessages(request: SentRequest): ChatMessage[] {
  return request.messages.map((message): ChatMessage => {
    if (message.role === 'tool')
      return { role: 'tool', toolCallId: message.tool_call_id ?? '', content: message.content ?? '' };
    if (message.role === 'assistant') {
      return {
        role: 'assistant',
        content: message.content ?? null,
        toolCalls: (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        })),
      };
    }
    return { role: message.role as 'user', content: message.content ?? '' };
  });
}

function stepRequests(): RecordedRequest[] {
  return scripted.model.requests.filter((request) =>
    new RegExp(SYSTEM).test(bodyOf(request).messages[0]?.content ?? ''),
  );
}

function taskInput(overrides: Partial<AgentTaskInput> = {}): AgentTaskInput {
  return {
    goal: GOAL,
    model: MODEL,
    planning: 'direct',
    memory: false,
    tools: ['read_page', 'tool_output_read'],
    ...overrides,
  };
}

/** The runs of a workflow, oldest first, following continue-as-new from the first run. */
async function runsOf(workflowId: string, firstRunId: string): Promise<{ runId: string; events: number }[]> {
  const runs: { runId: string; events: number }[] = [];
  let runId: string | undefined = firstRunId;
  while (runId !== undefined) {
    const history: temporal.api.history.v1.IHistory = await scripted.stack.client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    runs.push({ runId, events: events.length });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

describe('working memory of the agent loop', () => {
  test('200 steps with 20 KB tool outputs: every request within the budget with the goal, history bounded by continue-as-new, the client follows the runs', async () => {
    const instruction = 'Also note the slowest answer you saw.';
    const script: ModelScriptInput = {
      rules: [
        { name: 'summarize', match: { system: '^You compress conversation history' }, reply: { content: SUMMARY } },
        {
          name: 'read',
          match: { system: SYSTEM },
          times: 200,
          reply: { toolCalls: [{ name: 'read_page', arguments: { page: 1 } }] },
        },
        { name: 'answer', match: { system: SYSTEM }, reply: { content: 'checkout-3 failed first.' } },
      ],
    };
    scripted.model.setScript(script);
    const handle = await startTask(scripted.stack.client, taskInput({ maxSteps: 201 }), {
      taskQueue: scripted.stack.taskQueue,
    });
    // An instruction arrives while the task runs; it must survive compression and every continue-as-new.
    for (;;) {
      const view = await handle.query(agentTaskStatusQuery);
      if (view.step >= 5) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await handle.executeUpdate(addInstructionUpdate, { args: [{ requestId: 'i-1', instruction }] });

    const outcome = await waitForTask(handle, () => undefined);
    expect(outcome).toMatchObject({
      status: 'completed',
      answer: 'checkout-3 failed first.',
      runId: handle.firstExecutionRunId,
    });

    // The result of the last run has the same shape as an uncontinued task's, with every step of every run.
    const result: AgentTaskResult = await scripted.stack.client.workflow.getHandle(handle.workflowId).result();
    expect(result.steps.map((step) => step.step)).toEqual(Array.from({ length: 201 }, (_, index) => index + 1));
    expect(result.steps.filter((step) => step.toolCalls.length === 1)).toHaveLength(200);
    expect(result.usage.toolCalls).toBe(200);
    const summaries = scripted.model.requests.filter((request) => request.ruleName === 'summarize');
    expect(summaries.length).toBeGreaterThan(0);
    expect(result.usage.modelCalls).toBe(201 + summaries.length);
    expect(result.routes.filter((route) => route.purpose === 'summarize')).toHaveLength(summaries.length);
    expect(outcome.usage.inputTokens).toBe(result.usage.inputTokens);
    expect(pagesRead).toBe(200);

    // Bounded history: five runs (50 steps each, then the answer), none longer than its share.
    const runs = await runsOf(handle.workflowId, handle.firstExecutionRunId);
    expect(runs).toHaveLength(5);
    expect(runs.at(-1)?.runId).toBe(
      (await scripted.stack.client.workflow.getHandle(handle.workflowId).describe()).runId,
    );
    const longest = Math.max(...runs.map((run) => run.events));
    const total = runs.reduce((sum, run) => sum + run.events, 0);
    expect(longest).toBeLessThan(total / 3);

    // What reached the model: every step request within the budget (exact tokens), with the
    // system prompt and the goal first, every tool call paired with its result.
    const requests = stepRequests().map(bodyOf);
    expect(requests).toHaveLength(201);
    const sizes = requests.map(exactTokens);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(BUDGET);
    for (const request of requests) {
      expect(request.messages[1]).toEqual({ role: 'user', content: GOAL });
      expect(pairingProblems(asChatMessages(request))).toEqual([]);
    }
    // Without compression the last request would hold 200 outputs of 8,000 characters each.
    const last = requests.at(-1)!;
    const lastText = last.messages.map((message) => message.content ?? '').join('\n');
    expect(lastText).toMatch(/^Summary of your steps 1-\d+ on this task/m);
    expect(lastText).toContain(SUMMARY);
    expect(lastText).toMatch(
      /older tool result shortened to save context: first 600 of \d+ characters shown\. Full output stored as tool-output:[0-9a-f]{64}; read more with tool_output_read/,
    );
    expect(last.messages.filter((message) => message.role === 'tool').length).toBeLessThan(20);
    // The instruction, once given, is in every later request, also after its step was folded and across runs.
    const firstWithInstruction = requests.findIndex((request) =>
      request.messages.some((message) => message.content === `Additional instruction from the user: ${instruction}`),
    );
    expect(firstWithInstruction).toBeGreaterThan(0);
    for (const request of requests.slice(firstWithInstruction)) {
      expect(request.messages).toContainEqual({
        role: 'user',
        content: `Additional instruction from the user: ${instruction}`,
      });
    }
    // The summarizer was asked to keep the goal above all, within a budget share.
    const summarizerPrompt = bodyOf(summaries[0]!).messages[1]?.content ?? '';
    expect(summarizerPrompt).toContain(`Above all keep what matters for: ${GOAL}`);
  });

  test("chassis run follows a task that continued as new and prints the last run's answer", async () => {
    scripted.model.setScript({
      rules: [
        { name: 'summarize', match: { system: '^You compress conversation history' }, reply: { content: SUMMARY } },
        {
          name: 'read',
          match: { system: SYSTEM },
          times: 52,
          reply: { toolCalls: [{ name: 'read_page', arguments: { page: 1 } }] },
        },
        { name: 'answer', match: { system: SYSTEM }, reply: { content: 'checkout-3 failed first.' } },
      ],
    });
    // The default 50 steps per run: the answer comes from the second run.
    const run = await chassis(
      ['run', GOAL, '--json', '--direct', '--model', MODEL, '--max-steps', '60'],
      { CHASSIS_TASK_QUEUE: scripted.stack.taskQueue },
      240_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { workflowId: string; runId: string; status: string; answer: string };
    expect(outcome).toMatchObject({ status: 'completed', answer: 'checkout-3 failed first.' });
    const runs = await runsOf(outcome.workflowId, outcome.runId);
    expect(runs).toHaveLength(2);
    expect(pagesRead).toBe(52);
  });

  test('when the small model cannot summarize, older steps become a plain digest and the task goes on, saying so', async () => {
    scripted.model.setScript({
      rules: [
        {
          name: 'summarizer-down',
          match: { system: '^You compress conversation history' },
          fault: { status: 401, message: 'summarizer key revoked' },
        },
        {
          name: 'read',
          match: { system: SYSTEM },
          times: 12,
          reply: { toolCalls: [{ name: 'read_page', arguments: { page: 1 } }] },
        },
        { name: 'answer', match: { system: SYSTEM }, reply: { content: 'checkout-3 failed first.' } },
      ],
    });
    const handle = await startTask(scripted.stack.client, taskInput({ maxSteps: 13, contextMaxTokens: 4_000 }), {
      taskQueue: scripted.stack.taskQueue,
    });
    const result: AgentTaskResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', answer: 'checkout-3 failed first.' });
    expect(result.notes).toContainEqual(
      expect.stringMatching(
        /^older steps were kept as a plain digest because the small model could not summarize them \(.*summarizer key revoked/,
      ),
    );
    // Asked once: a failing summarizer is not asked again at every fold of the run.
    expect(scripted.model.requests.filter((request) => request.ruleName === 'summarizer-down')).toHaveLength(1);
    const requests = stepRequests().map(bodyOf);
    expect(Math.max(...requests.map(exactTokens))).toBeLessThanOrEqual(4_000);
    const lastText = requests
      .at(-1)!
      .messages.map((message) => message.content ?? '')
      .join('\n');
    expect(lastText).toMatch(/^Summary of your steps 1-\d+ on this task/m);
    expect(lastText).toMatch(/^- called read_page\(\{"page":1\}\) → 2026-03-14 10:00 call \d+ line 0/m);
  });

  test("a subtask continues as new too, with the task's stepsPerRun; the parent gets its whole result", async () => {
    scripted.model.setScript({
      rules: [
        {
          name: 'plan',
          match: { system: '^You are the planner' },
          reply: {
            content: JSON.stringify({
              mode: 'decompose',
              subtasks: [
                {
                  id: 'pages',
                  title: 'Read the pages',
                  instructions: 'Read five pages.',
                  dependsOn: [],
                  tools: ['read_page'],
                },
              ],
            }),
          },
        },
        { name: 'summarize', match: { system: '^You compress conversation history' }, reply: { content: SUMMARY } },
        {
          name: 'read',
          match: { system: SYSTEM, lastUser: 'Your part: Read the pages' },
          times: 5,
          reply: { toolCalls: [{ name: 'read_page', arguments: { page: 1 } }] },
        },
        { name: 'part', match: { system: SYSTEM }, reply: { content: 'checkout-3 was first to fail.' } },
        {
          name: 'synthesis',
          match: { system: '^You are the synthesizer' },
          reply: { content: 'checkout-3 failed first.' },
        },
      ],
    });
    const handle = await startTask(
      scripted.stack.client,
      taskInput({ planning: 'auto', maxSteps: 8, stepsPerRun: 2 }),
      {
        taskQueue: scripted.stack.taskQueue,
      },
    );
    const outcome = await waitForTask(handle, () => undefined);
    expect(outcome).toMatchObject({ status: 'completed', answer: 'checkout-3 failed first.' });
    expect(outcome.subtasks).toEqual([expect.objectContaining({ id: 'pages', status: 'completed' })]);
    // The child's first run, as the parent started it; its later runs follow by continue-as-new.
    const started = ((await handle.fetchHistory()).events ?? []).find(
      (event) => event.childWorkflowExecutionStartedEventAttributes,
    )?.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    // Subtask ids are positional (no plan text in workflow ids): the first subtask is subtask-1.
    expect(started?.workflowId).toBe(`${handle.workflowId}/subtask-1`);
    const subtask = scripted.stack.client.workflow.getHandle(started!.workflowId!);
    const runs = await runsOf(subtask.workflowId, started!.runId!);
    // Six steps (five reads, then the answer), two per run.
    expect(runs).toHaveLength(3);
    const result = (await subtask.result()) as { steps: { step: number }[]; usage: { toolCalls: number } };
    expect(result.steps.map((step) => step.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.usage.toolCalls).toBe(5);
    expect(pagesRead).toBe(5);
  });

  test('a provider\'s "context too long" answer is followed by a smaller, compressed retry, and the task completes', async () => {
    // The provider's real window is smaller than the catalog says: it rejects prompts of 5,000
    // tokens or more (counted as it reports usage) with OpenAI's context_length_exceeded.
    scripted.model.setScript({
      rules: [
        { name: 'summarize', match: { system: '^You compress conversation history' }, reply: { content: SUMMARY } },
        {
          name: 'too-long',
          match: { system: SYSTEM, minPromptTokens: 5_000 },
          fault: {
            status: 400,
            code: 'context_length_exceeded',
            message: "This model's maximum context length is 5000 tokens. Please reduce the length of the messages.",
          },
        },
        {
          name: 'read',
          match: { system: SYSTEM },
          times: 8,
          reply: { toolCalls: [{ name: 'read_page', arguments: { page: 1 } }] },
        },
        { name: 'answer', match: { system: SYSTEM }, reply: { content: 'checkout-3 failed first.' } },
      ],
    });
    const handle = await startTask(scripted.stack.client, taskInput({ maxSteps: 10 }), {
      taskQueue: scripted.stack.taskQueue,
    });
    const outcome = await waitForTask(handle, () => undefined);
    expect(outcome).toMatchObject({ status: 'completed', answer: 'checkout-3 failed first.' });

    const requests = stepRequests();
    const rejected = requests.filter((request) => request.ruleName === 'too-long');
    // Rejected once: the lowered budget holds for the steps after it.
    expect(rejected).toHaveLength(1);
    const index = requests.indexOf(rejected[0]!);
    const retry = requests[index + 1]!;
    expect(retry.status).toBe(200);
    expect(exactTokens(bodyOf(retry))).toBeLessThan(exactTokens(bodyOf(rejected[0]!)));
    expect(JSON.stringify(retry.body).length).toBeLessThan(JSON.stringify(rejected[0]!.body).length);
    // The retry answers the same step: the same tool results, with older ones compressed.
    const lastToolCall = (request: RecordedRequest) =>
      bodyOf(request)
        .messages.filter((message) => message.role === 'tool')
        .at(-1)?.tool_call_id;
    expect(lastToolCall(retry)).toBe(lastToolCall(rejected[0]!));
    expect(bodyOf(retry).messages[1]).toEqual({ role: 'user', content: GOAL });
    expect(requests.filter((request) => request.ruleName === 'read')).toHaveLength(8);
    expect(requests.at(-1)?.ruleName).toBe('answer');
  });

  test('a prompt that cannot be made short enough fails the task with a clear message after the compressed retries', async () => {
    // Nothing fits: even the system prompt and the goal are over this provider's limit.
    scripted.model.setScript({
      rules: [
        {
          name: 'too-long',
          match: { system: SYSTEM, minPromptTokens: 20 },
          fault: { status: 400, code: 'context_length_exceeded', message: 'prompt too large for this deployment' },
        },
      ],
    });
    const handle = await startTask(scripted.stack.client, taskInput({ maxSteps: 3 }), {
      taskQueue: scripted.stack.taskQueue,
    });
    const outcome = await waitForTask(handle, () => undefined);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /the prompt is too long for the model even after compressing the task's working memory/,
    );
    expect(outcome.error).toMatch(/shorten the goal or its context, or use a model with a larger context window/);
    const result: AgentTaskResult = await handle.result();
    expect(result.failure?.type).toBe('Model.ContextTooLong');
    // One call; with nothing left to compress the retry would have been the same request, so none was sent.
    expect(stepRequests().map((request) => request.ruleName)).toEqual(['too-long']);
  });
});
