import { randomUUID } from 'node:crypto';
import { agentTaskStatusQuery, type AgentTaskInput } from '../../src/contracts/agent-task';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { NOTHING_MATCHES } from '../../src/testing/scripted-stack';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { startTask, waitForTask } from '../../src/client/task-client';
import { useScriptedStack } from '../support/scripted-stack';

// The model is the scripted server (a test double for the provider); Temporal is the real dev server.
const FIXED_NOW = new Date('2026-01-02T03:04:05.000Z');
const MODEL = 'gpt-4.1-mini';

const scripted = useScriptedStack({ stack: false });
let stack: TestStack;

async function startStack(): Promise<void> {
  const tools = new ToolRegistry(builtInTools({ now: () => FIXED_NOW }));
  stack = await scripted.startStack({ dependencies: { models: scripted.gateway({ timeoutMs: 5_000 }), tools } });
}

function run(script: ModelScriptInput, input: Partial<AgentTaskInput> = {}) {
  scripted.model.setScript(script);
  return stack.client.workflow.execute<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `agent-task-test-${randomUUID()}`,
    args: [{ goal: 'What is 12 * 7?', model: MODEL, planning: 'direct', ...input }],
  });
}

type SentMessage = { role: string; content?: string | null; tool_call_id?: string };
function messagesOf(requestIndex: number): SentMessage[] {
  const body = scripted.model.requests[requestIndex]?.body as { messages: SentMessage[] } | undefined;
  if (body === undefined) throw new Error(`no chat request #${requestIndex + 1} reached the model`);
  return body.messages;
}

describe('agentTaskWorkflow on the real Temporal dev server', () => {
  beforeEach(startStack);

  test('a tool call, then a final answer built from the tool result', async () => {
    const result = await run({
      rules: [
        {
          name: 'use-calculator',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
          usage: { inputTokens: 120, outputTokens: 10 },
        },
        {
          name: 'answer',
          match: { hasToolResults: true },
          reply: { content: 'The answer is {{toolResult:calculator}}.' },
          usage: { inputTokens: 150, outputTokens: 8, cachedInputTokens: 100 },
        },
      ],
    });
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('The answer is 84.');
    expect(result.steps.map((step) => step.toolCalls)).toEqual([[{ name: 'calculator', ok: true }], []]);
    // What reached the model: the goal, the tool definitions, then the tool's real output.
    const first = scripted.model.requests[0]?.body as {
      messages: SentMessage[];
      tools: { function: { name: string } }[];
    };
    expect(first.messages.at(-1)).toMatchObject({ role: 'user', content: 'What is 12 * 7?' });
    expect(first.tools.map((tool) => tool.function.name).sort()).toEqual(['calculator', 'clock']);
    expect(messagesOf(1).at(-1)).toMatchObject({ role: 'tool', content: '84' });
    // Usage is the provider's reported tokens; cost is those tokens times the catalog's prices.
    expect(result.usage).toMatchObject({
      inputTokens: 270,
      cachedInputTokens: 100,
      outputTokens: 18,
      modelCalls: 2,
      toolCalls: 1,
    });
    const expectedCost = (120 * 0.4 + 10 * 1.6 + 50 * 0.4 + 100 * 0.1 + 8 * 1.6) / 1e6;
    expect(result.usage.costUsd).toBeCloseTo(expectedCost, 9);
  });

  test('invalid tool arguments go back to the model, which corrects them', async () => {
    const result = await run({
      rules: [
        {
          name: 'wrong-field',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expr: '12 * 7' } }] },
        },
        {
          name: 'corrected',
          match: { callNumber: 2 },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
        },
        { name: 'answer', match: { callNumber: 3 }, reply: { content: '{{lastToolResult}}' } },
      ],
    });
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('84');
    expect(result.steps.map((step) => step.toolCalls)).toEqual([
      [{ name: 'calculator', ok: false }],
      [{ name: 'calculator', ok: true }],
      [],
    ]);
    const correction = messagesOf(1).at(-1);
    expect(correction?.role).toBe('tool');
    const observation = JSON.parse(correction?.content ?? '{}') as { error: string; message: string };
    expect(observation.error).toBe('Tool.InvalidArguments');
    expect(observation.message).toContain('expression');
    expect(observation.message).toContain('Example of valid arguments');
  });

  test('malformed tool-call JSON and unknown tools are observations, not crashes', async () => {
    const result = await run({
      rules: [
        {
          name: 'malformed',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": "1+' }] },
        },
        {
          name: 'unknown',
          match: { callNumber: 2 },
          reply: { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] },
        },
        { name: 'answer', match: { callNumber: 3 }, reply: { content: 'gave up' } },
      ],
    });
    expect(result.status).toBe('completed');
    expect(JSON.parse(messagesOf(1).at(-1)?.content ?? '{}')).toMatchObject({ error: 'Tool.InvalidArguments' });
    const unknown = JSON.parse(messagesOf(2).at(-1)?.content ?? '{}') as { error: string; message: string };
    expect(unknown.error).toBe('Tool.Unknown');
    expect(unknown.message).toContain('available: calculator, clock');
  });

  test('a 429 with Retry-After is retried by the engine, then the task completes', async () => {
    const result = await run({
      rules: [
        { name: 'throttled', times: 1, reply: { content: 'unused' }, fault: { status: 429, retryAfterSeconds: 1 } },
        { name: 'answer', reply: { content: 'after the retry' } },
      ],
    });
    expect(result).toMatchObject({ status: 'completed', answer: 'after the retry' });
    expect(scripted.model.requests.map((request) => [request.ruleName, request.status])).toEqual([
      ['throttled', 429],
      ['answer', 200],
    ]);
    // The retry waited for the provider's Retry-After (1 s), not the policy's 1 s initial interval by chance: check the gap.
    const [first, second] = scripted.model.requests.map((request) => Date.parse(request.receivedAt));
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(900);
  });

  test('a non-retryable provider error fails the task with its failure type in the cause chain', async () => {
    const failure = await run(NOTHING_MATCHES).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.name).toBe('WorkflowFailedError');
    const activityFailure = failure?.cause as Error & { cause?: Error & { type?: string; nonRetryable?: boolean } };
    expect(activityFailure?.name).toBe('ActivityFailure');
    expect(activityFailure.cause).toMatchObject({ type: 'Model.BadRequest', nonRetryable: true });
    expect(activityFailure.cause?.message).toContain('no rule matches');
    // Non-retryable: exactly one attempt reached the provider.
    expect(scripted.model.requests).toHaveLength(1);
  });

  test('the step budget stops a loop that never answers', async () => {
    const result = await run(
      { rules: [{ name: 'always-tools', reply: { toolCalls: [{ name: 'clock', arguments: {} }] } }] },
      { maxSteps: 2 },
    );
    expect(result.status).toBe('budget_exceeded');
    expect(result.steps).toHaveLength(2);
    expect(result.answer).toContain('step budget (2 steps)');
    expect(messagesOf(1).at(-1)?.content).toContain('2026-01-02T03:04:05.000Z');
  });

  test('the status query reports progress while the model is thinking', async () => {
    scripted.model.setScript({ rules: [{ name: 'slow', reply: { content: 'done' }, fault: { latencyMs: 1500 } }] });
    const handle = await stack.client.workflow.start('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `agent-task-test-${randomUUID()}`,
      args: [{ goal: 'slow goal', model: MODEL, planning: 'direct' }],
    });
    let view = await handle.query(agentTaskStatusQuery);
    for (let attempt = 0; attempt < 20 && view.phase !== 'thinking'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await handle.query(agentTaskStatusQuery);
    }
    expect(view).toMatchObject({ phase: 'thinking', goal: 'slow goal', step: 1 });
    const result = await handle.result();
    expect(result.answer).toBe('done');
    expect(await handle.query(agentTaskStatusQuery)).toMatchObject({ phase: 'done' });
  });

  test('an empty final answer, also after escalating to the large tier, ends failed with Task.NoUsableAnswer, not completed', async () => {
    scripted.model.setScript({ rules: [{ name: 'empty', reply: { content: '   ' } }] });
    // Routed (no pinned model): the small model's empty answer escalates once to large, which is empty too.
    const workflowId = `agent-task-test-${randomUUID()}`;
    const result = await stack.client.workflow.execute<typeof agentTaskWorkflow>('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [{ goal: 'What is 12 * 7?', planning: 'direct' }],
    });
    expect(scripted.model.requests.map((request) => (request.body as { model: string }).model)).toEqual([
      'gpt-4.1-mini',
      'gpt-4.1',
    ]);
    expect(result.status).toBe('failed');
    expect(result.failure?.type).toBe('Task.NoUsableAnswer');
    expect(result.failure?.message).toBe(
      'the model gave no usable answer (empty answer from gpt-4.1, also after escalating to the large tier): try again, or pin a more capable model with --model',
    );
    expect(result.answer).toBe(`No answer: ${result.failure?.message}.`);
    expect(result.usage.escalations).toBe(1);
    // Not remembered: recall would offer it as an answer later.
    const remember = await stack.client.workflow
      .getHandle(`${workflowId}/remember`)
      .describe()
      .then(
        () => 'started',
        (error: Error) => error.name,
      );
    expect(remember).toBe('WorkflowNotFoundError');
  });

  test('tool calls malformed or unknown three steps in a row end failed with Task.MalformedToolCalls; the CLI outcome says why', async () => {
    scripted.model.setScript({
      rules: [
        {
          name: 'malformed',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": "1+' }] },
        },
        { name: 'unknown', match: { callNumber: 2 }, reply: { toolCalls: [{ name: 'weather', arguments: {} }] } },
        {
          name: 'malformed-again',
          reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": ' }] },
        },
      ],
    });
    const handle = await startTask(
      stack.client,
      { goal: 'What is 12 * 7?', model: MODEL, planning: 'direct' },
      { taskQueue: stack.taskQueue },
    );
    // The CLI's view (`chassis run` exits 1 on a failed outcome and prints its error).
    const outcome = await waitForTask(handle, () => undefined, 100);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /^the model's tool calls were malformed or named unknown tools in 3 steps in a row \(last: arguments for calculator are not valid JSON/,
    );
    const result = await handle.result();
    expect(result.failure?.type).toBe('Task.MalformedToolCalls');
    // Stopped after three steps, not at the step budget (8).
    expect(result.steps.map((step) => step.toolCalls)).toEqual([
      [{ name: 'calculator', ok: false }],
      [{ name: 'weather', ok: false }],
      [{ name: 'calculator', ok: false }],
    ]);
    expect(scripted.model.requests).toHaveLength(3);
  });

  test('invalid input fails at once with Task.InvalidInput', async () => {
    const failure = await run(NOTHING_MATCHES, { goal: '   ' }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.cause).toMatchObject({ type: 'Task.InvalidInput', nonRetryable: true });
    expect(scripted.model.requests).toHaveLength(0);
  });
});
