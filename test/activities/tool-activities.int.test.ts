import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { z } from 'zod';
import type { AgentTaskInput } from '../../src/contracts/agent-task';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { builtInTools } from '../../src/tools/builtin';
import { createToolBreaker } from '../../src/tools/tool-breaker';
import type { KeyedCircuitBreaker } from '../../src/resilience/keyed-circuit-breaker';
import { connectMcpServers, type McpToolSet } from '../../src/tools/mcp/mcp-tools';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool, type Tool } from '../../src/tools/tool';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { bundleToolCallsWorkflow, startToolWorker, type ToolWorker } from '../tools/fixtures/tool-worker';
import { countingLookup, flakyTool } from '../tools/support/counting-tools';
import { echoServerConfig } from '../tools/support/echo-mcp-server';
import { useScriptedStack } from '../support/scripted-stack';

// Real Temporal dev server and real FerretDB; the model is the scripted server (a test double of the provider).
const MODEL = 'gpt-4.1-mini';

const scripted = useScriptedStack({
  script: { rules: [{ name: 'unused', reply: { content: '' } }] },
  database: 'tool_activities',
  stack: false,
});
let stack: TestStack | undefined;

async function startStack(tools: Tool[], extra: { toolBreakers?: KeyedCircuitBreaker } = {}): Promise<TestStack> {
  const models = scripted.gateway({ timeoutMs: 5_000 });
  stack = await scripted.startStack({
    dependencies: { models, tools: new ToolRegistry(tools), db: scripted.database.db, ...extra },
  });
  return stack;
}

/** A script: call `tool` with `args`, then answer with the tool's result. */
function callThenAnswer(tool: string, args: unknown): ModelScriptInput {
  return {
    rules: [
      {
        name: 'call',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: tool, arguments: args as never }] },
      },
      { name: 'answer', match: { hasToolResults: true }, reply: { content: '{{lastToolResult}}' } },
    ],
  };
}

async function runTask(script: ModelScriptInput, input: Partial<AgentTaskInput> = {}) {
  scripted.model.setScript(script);
  const handle = await (stack as TestStack).client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: (stack as TestStack).taskQueue,
    workflowId: `tool-activities-test-${randomUUID()}`,
    args: [{ goal: 'Use the tool.', model: MODEL, planning: 'direct', ...input }],
  });
  return { handle, result: await handle.result() };
}

/**
 * Results of every completed activity of a type, read from the workflow's history: activity
 * completions, and the markers local activities (the task's bookkeeping) are recorded as.
 */
async function activityResults(handle: WorkflowHandle, activityType: string): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  const types = new Map<string, string>();
  const results: unknown[] = [];
  const decode = (payload: Payload | undefined) =>
    payload === undefined ? undefined : defaultPayloadConverter.fromPayload(payload);
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed && types.get(String(completed.scheduledEventId)) === activityType) {
      results.push(decode(completed.result?.payloads?.[0] ?? undefined));
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity' && !marker.failure) {
      const recorded = decode(marker.details?.data?.payloads?.[0] ?? undefined) as { activity_type?: string };
      if (recorded?.activity_type === activityType)
        results.push(decode(marker.details?.result?.payloads?.[0] ?? undefined));
    }
  }
  return results;
}

type SentMessage = { role: string; content?: string | null };
function lastMessageOfRequest(index: number): SentMessage | undefined {
  return (scripted.model.requests[index]?.body as { messages: SentMessage[] } | undefined)?.messages.at(-1);
}

describe('tool activities in agent tasks on the real Temporal server', () => {
  test('a cache hit across two tasks: the second task does not run the tool, and says what it saved', async () => {
    const lookup = countingLookup({ name: `lookup_${randomUUID().slice(0, 8)}`, delayMs: 80 });
    await startStack([...builtInTools(), lookup.tool]);
    const first = await runTask(callThenAnswer(lookup.tool.name, { q: 'capital of France' }), {
      tools: [lookup.tool.name],
    });
    const second = await runTask(callThenAnswer(lookup.tool.name, { q: 'capital of France' }), {
      tools: [lookup.tool.name],
    });
    expect(first.result.answer).toBe('answer for capital of France');
    expect(second.result.answer).toBe('answer for capital of France');
    expect(lookup.executions).toHaveLength(1);

    const [firstCall] = await activityResults(first.handle, 'callTool');
    const [secondCall] = await activityResults(second.handle, 'callTool');
    expect(firstCall).not.toHaveProperty('cached');
    expect(secondCall).toMatchObject({ ok: true, cached: true });
    expect((secondCall as { savedMs: number }).savedMs).toBeGreaterThanOrEqual(70);

    // describeTools hands the workflow descriptors (definition + policy); the model sees definitions only.
    const [described] = (await activityResults(second.handle, 'describeTools')) as { tools: { policy: unknown }[] }[];
    expect(described?.tools[0]?.policy).toMatchObject({ cacheTtlSeconds: 60, idempotent: true });
    const sentTools = (scripted.model.requests[0]?.body as { tools: { function: Record<string, unknown> }[] }).tools;
    expect(Object.keys(sentTools[0]?.function ?? {}).sort()).toEqual(['description', 'name', 'parameters']);
  });

  test('the breaker opens within the engine’s retries, the model is told, and it closes after the cool-down', async () => {
    let failing = true;
    const flaky = flakyTool(() => failing);
    await startStack([flaky.tool], {
      toolBreakers: createToolBreaker({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 2_500 }),
    });
    const { result } = await runTask(callThenAnswer('flaky', { n: 1 }));
    // Attempts 1 and 2 ran and failed; attempt 3 found the breaker open and did not run.
    expect(flaky.executions).toHaveLength(2);
    const observation = JSON.parse(lastMessageOfRequest(1)?.content ?? '{}') as { error: string; message: string };
    expect(observation.error).toBe('Tool.CircuitOpen');
    expect(observation.message).toMatch(
      /^tool flaky is unavailable for \d+ s after repeated failures; use another approach$/,
    );
    expect(result.steps[0]?.toolCalls).toEqual([{ name: 'flaky', ok: false }]);

    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    const after = await runTask(callThenAnswer('flaky', { n: 2 }));
    expect(after.result.answer).toBe('ok');
    expect(flaky.executions).toHaveLength(3);
  });

  test('a long output reaches the model as a bounded excerpt with a reference', async () => {
    const big = 'word '.repeat(5_000);
    const lookup = countingLookup({
      name: 'report',
      output: () => big,
      policy: { maxOutputChars: 1_000, cacheTtlSeconds: undefined },
    });
    await startStack([...builtInTools({ db: scripted.database.db }), lookup.tool]);
    await runTask(callThenAnswer('report', { q: 'everything' }));
    const content = lastMessageOfRequest(1)?.content ?? '';
    expect(content.length).toBeLessThanOrEqual(1_000);
    expect(content).toMatch(/Full output stored as tool-output:[0-9a-f]{64}\. Read more with tool_output_read/);
  });

  describe('with an MCP server', () => {
    let mcp: McpToolSet;
    beforeAll(async () => {
      mcp = await connectMcpServers([echoServerConfig()]);
    }, 30_000);
    afterAll(async () => {
      await mcp.close();
    });

    test('its tools are offered to the model and called as activities', async () => {
      await startStack([...builtInTools(), ...mcp.tools]);
      const { result } = await runTask(callThenAnswer('echo__add', { a: 2, b: 40 }), { tools: ['echo__add'] });
      expect(result.answer).toBe('42');
      const offered = (
        scripted.model.requests[0]?.body as { tools: { function: { name: string; parameters: unknown } }[] }
      ).tools;
      expect(offered.map((tool) => tool.function.name)).toEqual(['echo__add']);
      expect(offered[0]?.function.parameters).toMatchObject({ properties: { b: { type: 'number', minimum: 0 } } });
    });
  });
});

describe('callTool retries on the real Temporal server', () => {
  let bundle: WorkflowBundleWithSourceMap;
  let worker: ToolWorker | undefined;
  let workspace: string;

  beforeAll(async () => {
    bundle = await bundleToolCallsWorkflow();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'chassis-retry-'));
  });
  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  test('a write whose attempt timed out after its effect is not repeated by the engine’s retry', async () => {
    const file = path.join(workspace, 'journal.txt');
    let executions = 0;
    // Appends, then overruns the 1 s start-to-close timeout: the engine gives up on the attempt
    // and retries, but the effect already happened.
    const slowAppend = defineTool({
      name: 'append_journal',
      description: 'Appends a line to the journal.',
      input: z.object({ line: z.string() }),
      example: { line: 'hello' },
      policy: { idempotent: false },
      async execute({ line }) {
        executions += 1;
        appendFileSync(file, `${line}\n`);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return `appended "${line}"`;
      },
    });
    worker = await startToolWorker({
      bundle,
      dependencies: { tools: new ToolRegistry([slowAppend as Tool]), db: scripted.database.db },
    });
    const { workflowId, results } = await worker.run({
      calls: [
        {
          call: { id: 'call-1', name: 'append_journal', arguments: '{"line":"entry 1"}' },
          idempotencyKey: `retry-test-${randomUUID()}/call-1`,
        },
      ],
      startToCloseTimeoutMs: 1_000,
      maximumAttempts: 10,
      initialRetryIntervalMs: 200,
    });
    expect(results).toEqual([{ callId: 'call-1', name: 'append_journal', ok: true, output: 'appended "entry 1"' }]);
    expect(executions).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('entry 1\n');
    // The engine did retry: the completed attempt is not the first.
    const history = await worker.client.workflow.getHandle(workflowId).fetchHistory();
    const started = (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes);
    expect(started[0]?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThan(1);
  });

  test('cached, savedMs and outputRef survive the trip through Temporal', async () => {
    const lookup = countingLookup({
      name: `lookup_${randomUUID().slice(0, 8)}`,
      delayMs: 30,
      output: (q) => q.repeat(300),
    });
    const tool = { ...lookup.tool, policy: { ...lookup.tool.policy, maxOutputChars: 500 } };
    worker = await startToolWorker({
      bundle,
      dependencies: { tools: new ToolRegistry([tool]), db: scripted.database.db },
    });
    const call = (id: string) => ({
      call: { id, name: tool.name, arguments: '{"q":"abc"}' },
      idempotencyKey: `ref-test/${id}`,
    });
    const { results } = await worker.run({
      calls: [call('c1'), call('c2')],
      startToCloseTimeoutMs: 10_000,
      maximumAttempts: 1,
      initialRetryIntervalMs: 100,
    });
    expect(results[0]).toMatchObject({ ok: true, outputRef: expect.stringMatching(/^tool-output:/) });
    expect(results[1]).toMatchObject({
      ok: true,
      cached: true,
      outputRef: (results[0] as { outputRef: string }).outputRef,
    });
    expect((results[1] as { savedMs: number }).savedMs).toBeGreaterThanOrEqual(25);
    expect(lookup.executions).toHaveLength(1);
  });
});
