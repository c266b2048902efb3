import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { MongoClient, type Db } from 'mongodb';
import { z } from 'zod';
import { waitForTask } from '../../src/client/task-client';
import type { ToolCallInput } from '../../src/contracts/activities';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import { startPrivateMongo, type PrivateServer } from '../../src/testing/private-servers';
import type { TestStack } from '../../src/testing/temporal-harness';
import { TOOL_EFFECTS_COLLECTION } from '../../src/tools/effect-ledger';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool, type Tool } from '../../src/tools/tool';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Agent tasks on the real Temporal dev server, with the ledger on a private FerretDB that these
// tests stop and start (the shared database is never touched). The model is the scripted
// server, a test double for the provider; the tests check what reached it.
const scripted = useScriptedStack({ stack: false });
let mongo: PrivateServer;
let client: MongoClient;
let db: Db;
let stack: TestStack | undefined;

beforeAll(async () => {
  mongo = await startPrivateMongo();
  client = await MongoClient.connect(mongo.address, { serverSelectionTimeoutMS: 1_000 });
  db = client.db('tool_outcomes');
}, 120_000);

afterEach(async () => {
  if (mongo.pid() === undefined) await mongo.start();
});

afterAll(async () => {
  await client?.close();
  await mongo?.dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startStack(tools: Tool[], outageBudgetMs: number): Promise<TestStack> {
  const models = scripted.gateway({ timeoutMs: 5_000 });
  stack = await scripted.startStack({ dependencies: { models, tools: new ToolRegistry(tools), db, outageBudgetMs } });
  return stack;
}

/** The model calls `tool` once, then answers with what it got back. */
function callOnceThenAnswer(tool: string, args: Record<string, unknown>) {
  scripted.model.setScript({
    rules: [
      {
        name: 'call',
        match: { hasToolResults: false },
        reply: { toolCalls: [{ name: tool, arguments: args as never }] },
      },
      { name: 'answer', match: { hasToolResults: true }, reply: { content: '{{lastToolResult}}' } },
    ],
  });
}

function startTask(tool: string) {
  return (stack as TestStack).client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: (stack as TestStack).taskQueue,
    workflowId: `tool-outcomes-${randomUUID()}`,
    args: [{ goal: 'Do it.', model: 'gpt-4.1-mini', planning: 'direct', memory: false, tools: [tool] }],
  });
}

type SentMessage = { role: string; content?: string | null; tool_call_id?: string };
function lastMessageOfRequest(index: number): SentMessage | undefined {
  return (scripted.model.requests[index]?.body as { messages: SentMessage[] } | undefined)?.messages.at(-1);
}

/**
 * Sends, then hangs ignoring its abort signal: the runner gives up on it after its 1 s
 * timeout. With `checkable`, it can say afterwards which invoices went out.
 */
function hangingInvoiceTool(maximumAttempts = 3, checkable = false) {
  const sent: string[] = [];
  const tool = defineTool({
    name: 'send_invoice',
    description: 'Sends an invoice.',
    input: z.object({ to: z.string(), cents: z.number().int() }),
    example: { to: 'acme', cents: 100 },
    policy: { idempotent: false, timeoutMs: 1_000, maximumAttempts, initialRetryIntervalMs: 100 },
    async execute({ to }) {
      sent.push(to);
      return new Promise<string>(() => undefined);
    },
    ...(checkable
      ? {
          async checkOutcome({ to }: { to: string }) {
            return sent.includes(to)
              ? { applied: true as const, output: `invoice sent to ${to}` }
              : { applied: false as const };
          },
        }
      : {}),
  });
  return { tool: tool as Tool, sent };
}

/** The `callTool` activities a task scheduled, in order, with their inputs' round flag. */
async function toolActivities(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    const payload = scheduled?.input?.payloads?.[0];
    if (scheduled?.activityType?.name !== 'callTool' || payload === undefined || payload === null) return [];
    const input = defaultPayloadConverter.fromPayload<ToolCallInput>(payload);
    return [{ resolvingOpenOutcome: input.resolvingOpenOutcome === true }];
  });
}

/** The ledger record of the newest `send_invoice` call. */
function latestInvoiceRecord() {
  return db.collection(TOOL_EFFECTS_COLLECTION).findOne({ tool: 'send_invoice' }, { sort: { createdAt: -1 } });
}

/**
 * A task that sends one invoice through {@link hangingInvoiceTool} and then answers: the
 * invoice was sent once and the task completed.
 */
async function invoiceTaskThatHangs(maximumAttempts?: number, checkable = false) {
  const invoice = hangingInvoiceTool(maximumAttempts, checkable);
  await startStack([invoice.tool], 30_000);
  callOnceThenAnswer('send_invoice', { to: 'acme', cents: 12_000 });
  const handle = await startTask('send_invoice');
  const result: AgentTaskResult = await handle.result();
  expect(invoice.sent).toEqual(['acme']);
  expect(result.status).toBe('completed');
  return { handle, result };
}

describe('side effects whose outcome is unknown', () => {
  test('a parent task lists the unknown outcomes of its subtasks', async () => {
    const invoice = hangingInvoiceTool();
    await startStack([invoice.tool], 30_000);
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
                  id: 'invoice',
                  title: 'Send the invoice',
                  instructions: 'Send the invoice to acme.',
                  dependsOn: [],
                  tools: ['send_invoice'],
                },
              ],
            }),
          },
        },
        {
          name: 'synthesize',
          match: { system: '^You are the synthesizer' },
          reply: { content: 'Invoice status unknown.' },
        },
        {
          name: 'call',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'send_invoice', arguments: { to: 'acme', cents: 500 } }] },
        },
        { name: 'answer', match: { hasToolResults: true }, reply: { content: 'Not sure it was sent.' } },
      ],
    });
    const handle = await (stack as TestStack).client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
      taskQueue: (stack as TestStack).taskQueue,
      workflowId: `tool-outcomes-parent-${randomUUID()}`,
      args: [{ goal: 'Invoice acme.', model: 'gpt-4.1-mini', memory: false, tools: ['send_invoice'] }],
    });
    const result: AgentTaskResult = await handle.result();
    expect(result.plan.mode).toBe('decompose');
    expect(invoice.sent).toEqual(['acme']);
    expect(result.unknownOutcomes).toEqual([
      expect.objectContaining({
        tool: 'send_invoice',
        step: 1,
        idempotencyKey: expect.stringMatching(new RegExp(`^${handle.workflowId}/subtask-1/step-1/`)),
      }),
    ]);
    expect(result.notes).toContainEqual(expect.stringContaining('may or may not have taken effect'));
  }, 120_000);

  test('an attempt that hung after its effect: the model is told not to repeat it, and the task result lists it', async () => {
    const { handle, result } = await invoiceTaskThatHangs();
    const observation = lastMessageOfRequest(1);
    const callId = observation?.tool_call_id ?? '';
    expect(callId).not.toBe('');
    expect(JSON.parse(observation?.content ?? '{}')).toEqual({
      error: 'Tool.OutcomeUnknown',
      message: expect.stringMatching(
        /^send_invoice may or may not have taken effect: .*Do not call it again with the same arguments/,
      ),
    });
    expect(result.unknownOutcomes).toEqual([
      {
        tool: 'send_invoice',
        callId,
        step: 1,
        idempotencyKey: `${handle.workflowId}/step-1/${callId}`,
        message: expect.stringContaining('may or may not have taken effect'),
      },
    ]);
    expect(result.notes).toContainEqual(
      expect.stringMatching(
        /^1 tool call with side effects may or may not have taken effect \(outcome unknown, not repeated\): send_invoice/,
      ),
    );
    expect(
      await db.collection(TOOL_EFFECTS_COLLECTION).findOne({ idempotencyKey: `${handle.workflowId}/step-1/${callId}` }),
    ).toMatchObject({ state: 'unknown', tool: 'send_invoice' });
    // What `chassis run` reports.
    expect((await waitForTask(handle, () => undefined)).unknownOutcomes).toEqual(result.unknownOutcomes);
  }, 120_000);
  test('the last attempt ends with the outcome still open: a further round looks at the claim and, with no way to check it, the model is told it is unknown, not that it failed', async () => {
    // One attempt per round: it hangs after its effect and is given up with its claim open.
    const { handle, result } = await invoiceTaskThatHangs(1);
    const observation = JSON.parse(lastMessageOfRequest(1)?.content ?? '{}') as { error: string; message: string };
    expect(observation.error).toBe('Tool.OutcomeUnknown');
    expect(observation.message).toMatch(
      /^send_invoice may or may not have taken effect: the attempt that ran it stopped before its outcome was recorded.*Do not call it again/,
    );
    expect(result.unknownOutcomes).toEqual([expect.objectContaining({ tool: 'send_invoice', step: 1 })]);
    // The first round's attempt left the claim open; the second resolved it without running the tool.
    const [failedAttempt] = ((await handle.fetchHistory()).events ?? []).flatMap((event) =>
      event.activityTaskFailedEventAttributes?.failure ? [event.activityTaskFailedEventAttributes.failure] : [],
    );
    expect(failedAttempt?.cause?.applicationFailureInfo?.type ?? failedAttempt?.applicationFailureInfo?.type).toBe(
      'Tool.OutcomeOpen',
    );
    expect(await toolActivities(handle)).toEqual([{ resolvingOpenOutcome: false }, { resolvingOpenOutcome: true }]);
    expect(await latestInvoiceRecord()).toMatchObject({ state: 'unknown', resolution: 'unknown' });
  }, 120_000);

  test('every attempt of a round ends with the outcome open, and the tool can check it: the next round asks it, and the model gets the outcome', async () => {
    const { handle, result } = await invoiceTaskThatHangs(1, true);
    expect(lastMessageOfRequest(1)?.content).toBe('invoice sent to acme');
    expect(result.unknownOutcomes).toBeUndefined();
    expect(result.steps[0]?.toolCalls).toEqual([{ name: 'send_invoice', ok: true }]);
    expect(await toolActivities(handle)).toEqual([{ resolvingOpenOutcome: false }, { resolvingOpenOutcome: true }]);
    expect(await latestInvoiceRecord()).toMatchObject({ state: 'done', resolution: 'checked-applied' });
  }, 120_000);
});

describe('MongoDB outages are infrastructure, not tool failures', () => {
  function bookingTool() {
    const bookings: string[] = [];
    const tool = defineTool({
      name: 'book_room',
      description: 'Books a room.',
      input: z.object({ room: z.number().int() }),
      example: { room: 1 },
      policy: { idempotent: false, maximumAttempts: 2, initialRetryIntervalMs: 100 },
      async execute({ room }) {
        bookings.push(`room ${room}`);
        return `booked room ${room}`;
      },
    });
    return { tool: tool as Tool, bookings };
  }

  test('MongoDB down when the call starts and back 3 s later: the call waits, and the model gets its output', async () => {
    const booking = bookingTool();
    await startStack([booking.tool], 30_000);
    callOnceThenAnswer('book_room', { room: 12 });
    await mongo.stop();
    const restarted = sleep(3_000).then(() => mongo.start());
    const handle = await startTask('book_room');
    const result: AgentTaskResult = await handle.result();
    await restarted;
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('booked room 12');
    expect(lastMessageOfRequest(1)?.content).toBe('booked room 12');
    expect(result.steps[0]?.toolCalls).toEqual([{ name: 'book_room', ok: true }]);
    expect(booking.bookings).toEqual(['room 12']);
  }, 120_000);

  test('MongoDB down for longer than every attempt’s budget: the task fails saying how to resume, and the model is never told the tool failed', async () => {
    const booking = bookingTool();
    await startStack([booking.tool], 1_500);
    callOnceThenAnswer('book_room', { room: 7 });
    await mongo.stop();
    const handle = await startTask('book_room');
    const failure = await handle.result().then(
      () => undefined,
      (error: Error) => error,
    );
    const cause = failure?.cause as (Error & { type?: string }) | undefined;
    expect(failure?.name).toBe('WorkflowFailedError');
    expect(cause?.type).toBe('Infra.Unavailable');
    expect(cause?.message).toMatch(
      /^tool call book_room \(.+\) could not run because infrastructure was unavailable for \d+ s through every attempt \(last: tool book_room \(attempt 2\): MongoDB was unavailable/,
    );
    expect(cause?.message).toContain(
      `The model was not told the tool failed; run "chassis retry ${handle.workflowId}"`,
    );
    // Only the first model call: no observation of a "failed" tool ever reached the model.
    expect(scripted.model.requests).toHaveLength(1);
    expect(booking.bookings).toEqual([]);
  }, 120_000);
});
