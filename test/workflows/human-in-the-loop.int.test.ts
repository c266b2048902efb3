import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { agentTaskStatusQuery } from '../../src/contracts/agent-task';
import { answerQuestionUpdate, decideApprovalUpdate } from '../../src/contracts/human';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { askUserTool } from '../../src/tools/builtin/ask-user';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { chassis } from '../client/operations-support';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// Temporal is the real dev server; the model is the scripted server, a test double for the provider.
const MODEL = 'gpt-4.1-mini';
let emailsSent = 0;

const sendEmailTool = defineTool({
  name: 'send_email',
  description: 'Sends an email. Needs a person to approve each call.',
  input: z.object({ to: z.string(), body: z.string() }),
  example: { to: 'a@example.com', body: 'hi' },
  policy: { requiresApproval: true, approvalTimeoutMs: 1500, idempotent: false },
  async execute({ to }) {
    emailsSent++;
    return `sent to ${to}`;
  },
});

let transfers: string[] = [];

/** Gated without a timeout: each call waits for its own decision for as long as it takes. */
const transferTool = defineTool({
  name: 'transfer_money',
  description: 'Transfers money. Needs a person to approve each call.',
  input: z.object({ amount: z.number() }),
  example: { amount: 10 },
  policy: { requiresApproval: true, idempotent: false },
  async execute({ amount }) {
    transfers.push(String(amount));
    return `transferred ${amount}`;
  },
});

const scripted = useScriptedStack({ stack: false });
let stack: TestStack | undefined;

function dependencies() {
  return {
    models: scripted.gateway({ timeoutMs: 5_000 }),
    tools: new ToolRegistry([...builtInTools(), askUserTool, sendEmailTool, transferTool]),
  };
}

async function waitForPending(handle: WorkflowHandle, count = 1, callKey?: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const view = await handle.query(agentTaskStatusQuery);
    const found = callKey === undefined || view.pending.some((request) => request.callKey === callKey);
    if (view.pending.length >= count && found) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the task never started waiting for a person');
}

function start(script: ModelScriptInput, queue: string) {
  scripted.model.setScript(script);
  return stack!.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: queue,
    workflowId: `human-test-${randomUUID()}`,
    args: [{ goal: 'Plan my trip', model: MODEL, planning: 'direct' }],
  });
}

describe('people in the loop', () => {
  test('ask_user waits durably: the worker restarts between the question and the answer, and the task resumes', async () => {
    stack = await scripted.startStack({ dependencies: dependencies() });
    const queue = stack.taskQueue;
    const handle = await start(
      {
        rules: [
          {
            name: 'ask',
            match: { hasToolResults: false },
            reply: { toolCalls: [{ name: 'ask_user', arguments: { question: 'Which city?' } }] },
          },
          {
            name: 'answer',
            match: { hasToolResults: true },
            reply: { content: 'Trip from {{lastToolResult}} planned.' },
          },
        ],
      },
      queue,
    );
    const view = await waitForPending(handle);
    expect(view.phase).toBe('waiting-for-person');
    const [question] = view.pending;
    expect(question).toMatchObject({ kind: 'question', tool: 'ask_user', question: 'Which city?' });

    // The worker goes away while the task waits; a new one takes over the same queue.
    await stack.stop();
    stack = await scripted.startStack({ dependencies: dependencies(), taskQueue: queue });

    // Answered from a new client, as from another terminal.
    const resumed = stack.client.workflow.getHandle<typeof agentTaskWorkflow>(handle.workflowId);
    await resumed.executeUpdate(answerQuestionUpdate, { args: [{ callId: question!.callId, answer: 'Lisbon' }] });
    const result = await resumed.result();
    expect(result).toMatchObject({ status: 'completed', answer: 'Trip from Lisbon planned.' });
    expect(scripted.model.requests.at(-1)?.body).toMatchObject({
      messages: expect.arrayContaining([expect.objectContaining({ role: 'tool', content: 'Lisbon' })]),
    });
  });

  test('an approved call runs; a call nobody approves is rejected by its timeout and the model is told', async () => {
    stack = await scripted.startStack({ dependencies: dependencies() });
    emailsSent = 0;
    const handle = await start(
      {
        rules: [
          {
            name: 'first-email',
            match: { callNumber: 1 },
            reply: { toolCalls: [{ name: 'send_email', arguments: { to: 'boss@example.com', body: 'Report' } }] },
          },
          {
            name: 'second-email',
            match: { callNumber: 2 },
            reply: { toolCalls: [{ name: 'send_email', arguments: { to: 'all@example.com', body: 'Spam' } }] },
          },
          { name: 'done', match: { callNumber: 3 }, reply: { content: 'first: ok; second: {{lastToolResult}}' } },
        ],
      },
      stack.taskQueue,
    );
    const view = await waitForPending(handle);
    expect(view.pending[0]).toMatchObject({
      kind: 'approval',
      tool: 'send_email',
      arguments: '{"to":"boss@example.com","body":"Report"}',
    });
    expect(view.pending[0]?.expiresAt).toBeDefined();
    // An unknown call id is rejected by the update's validator.
    await expect(
      handle.executeUpdate(decideApprovalUpdate, { args: [{ callId: 'nope', approved: true }] }),
    ).rejects.toThrow();
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ callId: view.pending[0]!.callId, approved: true }] });
    // The second call is never decided: its 1.5 s approval timeout rejects it.
    const result = await handle.result();
    expect(emailsSent).toBe(1);
    expect(result.steps.map((step) => step.toolCalls)).toEqual([
      [{ name: 'send_email', ok: true }],
      [{ name: 'send_email', ok: false }],
      [],
    ]);
    expect(result.answer).toContain('Tool.Rejected');
    expect(result.answer).toContain('nobody decided within 1.5 s');
  });

  test('a provider that reuses a call id: each call waits for its own decision, named by its call key, used once', async () => {
    stack = await scripted.startStack({ dependencies: dependencies() });
    transfers = [];
    const handle = await start(
      {
        rules: [
          {
            name: 'first',
            match: { callNumber: 1 },
            reply: { toolCalls: [{ id: 'call_same', name: 'transfer_money', arguments: { amount: 10 } }] },
          },
          {
            name: 'second',
            match: { callNumber: 2 },
            reply: { toolCalls: [{ id: 'call_same', name: 'transfer_money', arguments: { amount: 5000 } }] },
          },
          { name: 'done', match: { callNumber: 3 }, reply: { content: 'second: {{lastToolResult}}' } },
        ],
      },
      stack.taskQueue,
    );
    const first = await waitForPending(handle, 1, '1/1');
    expect(first.pending).toEqual([
      expect.objectContaining({ callKey: '1/1', callId: 'call_same', tool: 'transfer_money' }),
    ]);
    // The CLI shows the call key and accepts the provider's id while one call has had it.
    const status = await chassis(['status', handle.workflowId]);
    expect(status.stdout).toContain(`chassis approve|reject ${handle.workflowId} 1/1`);
    const approved = await chassis(['approve', handle.workflowId, 'call_same']);
    expect(approved).toMatchObject({ code: 0, stdout: `approved call 1/1 (transfer_money) on ${handle.workflowId}\n` });

    // Step 2 reuses the id: its call waits for its own decision instead of riding on step 1's.
    const second = await waitForPending(handle, 1, '2/1');
    expect(second.pending).toEqual([expect.objectContaining({ callKey: '2/1', callId: 'call_same' })]);
    expect(transfers).toEqual(['10']);
    // The id now names two calls, so it names none; step 1's decision cannot be delivered again.
    const ambiguous = await chassis(['approve', handle.workflowId, 'call_same']);
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toContain('use the call key');
    await expect(
      handle.executeUpdate(decideApprovalUpdate, { args: [{ callId: '1/1', approved: true }] }),
    ).rejects.toThrow();
    const rejected = await chassis(['reject', handle.workflowId, '2/1', '--reason', 'too much']);
    expect(rejected).toMatchObject({ code: 0, stdout: `rejected call 2/1 (transfer_money) on ${handle.workflowId}\n` });

    const result = await handle.result();
    expect(transfers).toEqual(['10']);
    expect(result.steps.map((step) => step.toolCalls)).toEqual([
      [{ name: 'transfer_money', ok: true }],
      [{ name: 'transfer_money', ok: false }],
      [],
    ]);
    expect(result.answer).toContain('Tool.Rejected');
    expect(result.answer).toContain('too much');
  });
});
