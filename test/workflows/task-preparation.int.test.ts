import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { AgentTaskInput, AgentTaskResult } from '../../src/contracts/agent-task';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import type { TestStack } from '../../src/testing/temporal-harness';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool, type Tool } from '../../src/tools/tool';
import { TransientToolError } from '../../src/tools/tool-errors';
import { z } from 'zod';
import { useScriptedStack } from '../support/scripted-stack';

// Temporal is the real dev server, MongoDB the real local server; the model is the scripted test double.
const EventType = temporal.api.enums.v1.EventType;
const MODEL = 'gpt-4.1-mini';
const SCRIPT = {
  rules: [
    { name: 'facts', match: { system: '^You extract durable facts' }, reply: { content: '{"facts":[]}' } },
    {
      name: 'tool',
      match: { hasToolResults: false },
      reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
    },
    { name: 'answer', match: { hasToolResults: true }, reply: { content: 'The answer is {{toolResult:calculator}}.' } },
  ],
};

const scripted = useScriptedStack({ script: SCRIPT, stack: false });
let stack: TestStack | undefined;
let database: TestDatabase | undefined;

afterEach(async () => {
  await database?.drop();
  database = undefined;
});

async function runTask(input: Partial<AgentTaskInput> = {}) {
  const handle = await (stack as TestStack).client.workflow.start('agentTaskWorkflow', {
    taskQueue: (stack as TestStack).taskQueue,
    workflowId: `task-preparation-test-${randomUUID()}`,
    args: [{ goal: 'What is 12 * 7?', model: MODEL, planning: 'direct', ...input }],
  });
  return { handle, result: (await handle.result()) as AgentTaskResult };
}

/** What the first workflow task of a run recorded: its local activities (in order), and the activities scheduled anywhere. */
async function preparationOf(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const firstTaskCompleted = events.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const localActivities = events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((event) => {
      const attributes = event.markerRecordedEventAttributes;
      const data = attributes?.details?.data?.payloads?.[0] as Payload;
      return {
        type: (defaultPayloadConverter.fromPayload(data) as { activity_type: string }).activity_type,
        inFirstWorkflowTask: String(attributes?.workflowTaskCompletedEventId) === String(firstTaskCompleted?.eventId),
        failed: Boolean(attributes?.failure),
      };
    });
  const activities = events
    .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => name !== undefined);
  return { localActivities, activities };
}

describe('a task prepares itself in its first workflow task', () => {
  test('tools, the catalog and memory are read by local activities side by side, the calculator runs locally, and a second task recalls the first', async () => {
    database = await openTestDatabase('task_preparation');
    const { db } = database;
    const models = scripted.gateway();
    const embedder = new HashedNgramEmbedder();
    const capabilities = await ensureMemoryIndexes(db, { embedder: embedder.description });
    stack = await scripted.startStack({
      dependencies: {
        models,
        tools: new ToolRegistry(builtInTools()),
        db,
        memory: { db, embedder, models, capabilities },
      },
    });

    const first = await runTask();
    expect(first.result).toMatchObject({ status: 'completed', answer: 'The answer is 84.' });
    // The memory write is an abandoned child; wait for it so the second task can recall it.
    await stack.client.workflow.getHandle(`${first.handle.workflowId}/remember`).result();

    const requestsBefore = scripted.model.requests.length;
    const second = await runTask();
    expect(second.result.status).toBe('completed');

    const { localActivities, activities } = await preparationOf(second.handle);
    const preparation = localActivities.filter((local) => local.inFirstWorkflowTask);
    expect(preparation.map((local) => local.type).sort()).toEqual(['describeModels', 'describeTools', 'recall']);
    expect(preparation.every((local) => !local.failed)).toBe(true);
    // The calculator (a local tool) ran as a local activity too, in a later workflow task, and
    // so did the start of the memory writing, in the last one.
    expect(localActivities.filter((local) => !local.inFirstWorkflowTask)).toEqual([
      { type: 'callTool', inFirstWorkflowTask: false, failed: false },
      { type: 'startRememberTask', inFirstWorkflowTask: false, failed: false },
    ]);
    // No round trip through the server for the bookkeeping, the calculator or the memory
    // writing's start (no child workflow): only model calls are activities.
    expect(activities).toEqual(['callModel', 'callModel']);
    const history = await second.handle.fetchHistory();
    expect(history.events?.some((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    await stack.client.workflow.getHandle(`${second.handle.workflowId}/remember`).result();

    // What the first task remembered reached the model before the second task's goal.
    const firstRequest = scripted.model.requests.slice(requestsBefore).find((request) => request.ruleName === 'tool');
    const messages = (firstRequest?.body as { messages: { role: string; content: string }[] }).messages;
    const memory = messages.find((message) => message.content.startsWith('What you remember'));
    expect(memory?.role).toBe('system');
    expect(memory?.content).toContain('Task: What is 12 * 7? Answer: The answer is 84.');
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'What is 12 * 7?' });
  });

  test('without memory the recall fails fast in its local activity, and the task answers with a note', async () => {
    stack = await scripted.startStack({
      dependencies: { models: scripted.gateway(), tools: new ToolRegistry(builtInTools()) },
    });

    const { handle, result } = await runTask();

    expect(result).toMatchObject({ status: 'completed', answer: 'The answer is 84.' });
    expect(result.notes).toContain(
      'memory was unavailable (memory is not configured in this worker (no MongoDB database was given)); answered without recalled memory',
    );
    const { localActivities } = await preparationOf(handle);
    expect(localActivities).toEqual(
      expect.arrayContaining([{ type: 'recall', inFirstWorkflowTask: true, failed: true }]),
    );
  });

  test('a task with memory off reads only its tools and the catalog', async () => {
    stack = await scripted.startStack({
      dependencies: { models: scripted.gateway(), tools: new ToolRegistry(builtInTools()) },
    });

    const { handle, result } = await runTask({ memory: false });

    expect(result.status).toBe('completed');
    expect(result.notes.some((note) => note.startsWith('memory was unavailable'))).toBe(false);
    const { localActivities } = await preparationOf(handle);
    const preparation = localActivities.filter((local) => local.inFirstWorkflowTask);
    expect(preparation.map((local) => local.type).sort()).toEqual(['describeModels', 'describeTools']);
  });

  test('a local tool that keeps failing becomes an observation for the model, after its retries', async () => {
    const executions: string[] = [];
    const flaky = defineTool({
      name: 'flaky_local',
      description: 'Computes something locally. Returns "ok".',
      input: z.object({ n: z.number().int() }),
      example: { n: 1 },
      policy: { local: true, timeoutMs: 2_000, maximumAttempts: 2, initialRetryIntervalMs: 50 },
      async execute(_args, context) {
        executions.push(context.idempotencyKey);
        throw new TransientToolError('the local library failed');
      },
    });
    stack = await scripted.startStack({
      dependencies: { models: scripted.gateway(), tools: new ToolRegistry([flaky as Tool]) },
    });
    scripted.model.setScript({
      rules: [
        {
          name: 'call',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'flaky_local', arguments: { n: 1 } }] },
        },
        { name: 'answer', match: { hasToolResults: true }, reply: { content: 'Told: {{lastToolResult}}' } },
      ],
    });
    try {
      const { handle, result } = await runTask({ memory: false, tools: ['flaky_local'] });

      expect(executions).toHaveLength(2);
      expect(result.status).toBe('completed');
      const observation = JSON.parse(result.answer.replace(/^Told: /, '')) as { error: string; message: string };
      expect(observation.error).toBe('Tool.Transient');
      expect(observation.message).toMatch(/^flaky_local kept failing after retries: .*the local library failed/);
      const { localActivities, activities } = await preparationOf(handle);
      expect(localActivities.filter((local) => local.type === 'callTool')).toEqual([
        { type: 'callTool', inFirstWorkflowTask: false, failed: true },
      ]);
      expect(activities).toEqual(['callModel', 'callModel']);
    } finally {
      scripted.model.setScript(SCRIPT);
    }
  });
});
