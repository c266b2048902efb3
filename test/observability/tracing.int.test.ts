import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load-config';
import { startTracing, type Tracing } from '../../src/observability/tracing';
import type { TestStack } from '../../src/testing/temporal-harness';
import { workflowInterceptorModules } from '../../src/workers/bundle-workflows';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { useScriptedStack } from '../support/scripted-stack';

jest.setTimeout(240_000);

const PLAN = JSON.stringify({
  mode: 'decompose',
  subtasks: [
    { id: 'prices', title: 'Gather prices', instructions: 'Find the price.', dependsOn: [], tools: ['calculator'] },
    { id: 'volumes', title: 'Gather volumes', instructions: 'Find the volume.', dependsOn: [], tools: ['calculator'] },
  ],
});

async function eventually(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One decomposed task, traced end to end with OTLP/HTTP JSON to a receiver this test runs:
 * the client's start, the task workflow, its two child workflows, their activities and the
 * model and tool spans inside them form one connected trace. The workers keep no workflow in
 * their cache, so every workflow task replays the history first: spans must still not repeat.
 */
describe('OpenTelemetry traces of a decomposed task', () => {
  const scripted = useScriptedStack({
    script: {
      rules: [
        { name: 'plan', match: { system: '^You are the planner' }, reply: { content: PLAN } },
        {
          name: 'prices-tool',
          match: { lastUser: 'Your part: Gather prices', hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '2 * 2' } }] },
        },
        { name: 'prices', match: { lastUser: 'Your part: Gather prices' }, reply: { content: 'PRICE=4 USD' } },
        { name: 'volumes', match: { lastUser: 'Your part: Gather volumes' }, reply: { content: 'VOLUME=250' } },
        { name: 'synthesis', match: { system: '^You are the synthesizer' }, reply: { content: 'Revenue: 1000 USD.' } },
      ],
    },
    bundle: { tracing: true },
    stack: false,
  });
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  let stack: TestStack;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
    const config = loadConfig();
    if (config.tracing === undefined) throw new Error('tracing should be on with OTEL_EXPORTER_OTLP_ENDPOINT set');
    expect(config.tracing.protocol).toBe('http/json');
    tracing = startTracing(config.tracing, 'chassis-test');
    // The rig's stack (it serves the file's test): every workflow task replays its history first.
    stack = await scripted.rig.startStack({
      taskQueuePrefix: 'test-tracing',
      workers: { telemetry: { tracing }, tuning: { maxCachedWorkflows: 0 } },
    });
  });

  // Runs after the fixture's afterAll has stopped the workers: their last spans are exported first.
  afterAll(async () => {
    await tracing?.shutdown();
    await receiver?.close();
    process.env = saved;
  });

  test('client start → workflow → child workflows → activities → model and tool spans, each once, with token attributes', async () => {
    const client = new Client({
      connection: stack.client.connection,
      namespace: stack.client.options.namespace,
      interceptors: { workflow: tracing.clientInterceptors() },
    });
    const workflowId = `tracing-test-${randomUUID()}`;
    const handle = await client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [{ goal: 'What was the revenue?', model: 'gpt-4.1-mini' }],
    });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.plan.mode).toBe('decompose');
    const modelRequests = scripted.model.requests.length;
    expect(modelRequests).toBe(5);

    // Everything ended: the exporter sends within its schedule delay.
    await eventually(
      () => receiver.spans.filter((span) => span.name.startsWith('chat ')).length >= modelRequests,
      'the model spans',
    );
    await eventually(
      () => receiver.spans.some((span) => span.name === 'RunWorkflow:agentTaskWorkflow'),
      'the task span',
    );
    expect(receiver.rejected).toEqual([]);

    const roots = receiver.spans.filter((span) => span.name === 'StartWorkflow:agentTaskWorkflow');
    expect(roots).toHaveLength(1);
    const root = roots[0];
    if (root === undefined)
      throw new Error(`no client span; got ${receiver.spans.map((span) => span.name).join(', ')}`);
    expect(root.parentSpanId).toBeUndefined();
    const exported = receiver.spans.filter((span) => span.traceId === root.traceId);
    // Replays export nothing (the workflow exporter is not called during replay). A workflow
    // task that times out on a loaded machine runs again, not as a replay, and exports its
    // spans again under the same deterministic ids: the same span twice, never a new one.
    const first = new Map<string, ReceivedSpan>();
    for (const span of exported) {
      const earlier = first.get(span.spanId);
      if (earlier === undefined) first.set(span.spanId, span);
      else expect([span.name, span.parentSpanId]).toEqual([earlier.name, earlier.parentSpanId]);
    }
    const trace = [...first.values()];
    const named = (name: string) => trace.filter((span) => span.name === name);
    const childrenOf = (parent: ReceivedSpan, name: string) =>
      trace.filter((span) => span.parentSpanId === parent.spanId && span.name === name);

    const [task] = childrenOf(root, 'RunWorkflow:agentTaskWorkflow');
    if (task === undefined) throw new Error('the task workflow span is not a child of the client span');
    expect(named('RunWorkflow:agentTaskWorkflow')).toHaveLength(1);

    const childStarts = childrenOf(task, 'StartChildWorkflow:subtaskWorkflow');
    expect(childStarts).toHaveLength(2);
    const subtasks = childStarts.flatMap((start) => childrenOf(start, 'RunWorkflow:subtaskWorkflow'));
    expect(subtasks).toHaveLength(2);
    expect(named('RunWorkflow:subtaskWorkflow')).toHaveLength(2);

    // Each model call: scheduled in a workflow, run in an activity, with a chat span inside.
    const modelCalls = trace.filter((span) => span.name.startsWith('chat '));
    expect(modelCalls).toHaveLength(modelRequests);
    expect(named('StartActivity:callModel')).toHaveLength(modelRequests);
    expect(named('RunActivity:callModel')).toHaveLength(modelRequests);
    for (const subtask of subtasks) {
      const [scheduled] = childrenOf(subtask, 'StartActivity:callModel');
      if (scheduled === undefined) throw new Error('a subtask scheduled no traced model call');
      const [activity] = childrenOf(scheduled, 'RunActivity:callModel');
      if (activity === undefined) throw new Error('the model activity span is not a child of its scheduling span');
      const [chat] = childrenOf(activity, 'chat gpt-4.1-mini');
      if (chat === undefined) throw new Error('the chat span is not a child of the activity span');
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4.1-mini',
        'gen_ai.response.model': 'gpt-4.1-mini',
      });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(chat.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(typeof chat.attributes['chassis.cost_usd']).toBe('number');
      expect(typeof chat.attributes['chassis.model.tier']).toBe('string');
    }
    // The spans' tokens are the task's: nothing missing, nothing counted twice.
    const sum = (key: string) => modelCalls.reduce((total, span) => total + Number(span.attributes[key]), 0);
    expect(sum('gen_ai.usage.input_tokens')).toBe(result.usage.inputTokens);
    expect(sum('gen_ai.usage.output_tokens')).toBe(result.usage.outputTokens);

    // The tool call of the prices subtask.
    const [tool] = named('execute_tool calculator');
    if (tool === undefined) throw new Error('no tool span');
    expect(tool.attributes).toMatchObject({
      'gen_ai.tool.name': 'calculator',
      'chassis.tool.outcome': 'ok',
      'chassis.tool.cached': false,
    });
    const toolActivity = trace.find((span) => span.spanId === tool.parentSpanId);
    expect(toolActivity?.name).toBe('RunActivity:callTool');
    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(['chassis-test']));

    // Replaying the finished history with the same tracing adds no span. Spans of the run
    // (the abandoned memory write, the last activities) may still be on their way: wait
    // until none has arrived for a while before counting.
    let before = receiver.spans.length;
    for (let quiet = 0; quiet < 3;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      quiet = receiver.spans.length === before ? quiet + 1 : 0;
      before = receiver.spans.length;
    }
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory(
      {
        workflowsPath: require.resolve('../../src/workflows'),
        interceptors: { workflowModules: workflowInterceptorModules({ tracing: true }) },
        ...tracing.workerOptions(),
      },
      history,
      workflowId,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.spans.length).toBe(before);
  });
});
