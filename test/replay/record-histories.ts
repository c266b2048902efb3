/**
 * Re-records the workflow histories under `test/fixtures/histories/` from representative
 * tasks run on the real dev server, with the scripted model server (a test double of the
 * provider) answering. Run it after a deliberate, patched workflow change, or to add a
 * scenario:
 *
 *     npx tsx test/replay/record-histories.ts            (needs the local stack: chassis dev up)
 *     npx tsx test/replay/record-histories.ts session    (only the named scenarios)
 *
 * Histories are recorded without a payload codec, so each file is self-contained (a
 * claim-checked history would need the MongoDB blobs it points at). Keep the old files
 * that still replay: they stand for workflows already running in production.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { historyToJson } from '../../src/client/replay/history-json';
import { MongoClient } from 'mongodb';
import { agentTaskStatusQuery, type AgentTaskInput, type AgentTaskResult } from '../../src/contracts/agent-task';
import { decideApprovalUpdate } from '../../src/contracts/human';
import {
  postMessageSignal,
  sessionStatusQuery,
  sessionWorkflowId,
  type SessionInput,
  type SessionState,
} from '../../src/contracts/session';
import { sendToSession } from '../../src/client/session-client';
import { loadConfig } from '../../src/config/load-config';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { startScriptedRig } from '../../src/testing/scripted-stack';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { z } from 'zod';

/** Where the fixtures live. */
export const HISTORIES_DIRECTORY = path.join(__dirname, '..', 'fixtures', 'histories');

const MODEL = 'gpt-4.1-mini';

/** A tool with a side effect that needs a person's approval of each call. */
const sendEmailTool = defineTool({
  name: 'send_email',
  description: 'Sends an email. Needs a person to approve each call.',
  input: z.object({ to: z.string() }),
  example: { to: 'a@example.com' },
  policy: { requiresApproval: true, idempotent: false },
  async execute({ to }) {
    return `sent to ${to}`;
  },
});

/** Invoices {@link hangingInvoiceTool} has sent (its own record, which its outcome check reads). */
const sentInvoices = new Set<string>();

/**
 * A tool with a side effect that sends, then hangs past its 1 s timeout with one attempt per
 * round, so its outcome is left open; asked afterwards, it says the invoice went out.
 */
const hangingInvoiceTool = defineTool({
  name: 'send_invoice',
  description: 'Sends an invoice.',
  input: z.object({ to: z.string() }),
  example: { to: 'acme' },
  policy: { idempotent: false, timeoutMs: 1_000, maximumAttempts: 1, initialRetryIntervalMs: 100 },
  async execute({ to }) {
    sentInvoices.add(to);
    return new Promise<string>(() => undefined);
  },
  async checkOutcome({ to }) {
    return sentInvoices.has(to) ? { applied: true, output: `invoice sent to ${to}` } : { applied: false };
  },
});
const FIXED_NOW = new Date('2026-01-02T03:04:05.000Z');

/** One scenario: a task, the script that answers it, and which histories to keep. */
interface Scenario {
  name: string;
  description: string;
  input: AgentTaskInput;
  script: ModelScriptInput;
  /** Child workflows whose histories are kept too: a subtask's planner id, or `remember` (the memory write). */
  children?: string[];
  /** The task is expected to fail (its history ends in WorkflowExecutionFailed). */
  fails?: boolean;
  /** Approve every approval the task waits for, as a person would (`chassis approve`). */
  approveAll?: boolean;
}

const plannerRule = (subtasks: { id: string; title: string; dependsOn?: string[] }[]) => ({
  name: 'plan',
  match: { system: '^You are the planner' },
  reply: {
    content: JSON.stringify({
      mode: 'decompose',
      subtasks: subtasks.map((subtask) => ({
        id: subtask.id,
        title: subtask.title,
        instructions: `Work on ${subtask.title}.`,
        dependsOn: subtask.dependsOn ?? [],
        tools: ['calculator'],
      })),
    }),
  },
});

/** The direct task (two parallel tool calls, then the answer) that several fixtures record as the workflow changed. */
const DIRECT_TASK: Pick<Scenario, 'input' | 'children' | 'script'> = {
  input: { goal: 'What is 17.5% of 2,340, and what time is it in UTC?', model: MODEL, planning: 'direct' },
  children: ['remember'],
  script: {
    rules: [
      {
        name: 'tools',
        match: { hasToolResults: false },
        reply: {
          toolCalls: [
            { name: 'calculator', arguments: { expression: '2340 * 0.175' } },
            { name: 'clock', arguments: { timezone: 'UTC' } },
          ],
        },
        usage: { inputTokens: 200, outputTokens: 20 },
      },
      {
        name: 'answer',
        match: { hasToolResults: true },
        reply: { content: '17.5% of 2,340 is {{toolResult:calculator}}; it is {{toolResult:clock.local}} UTC.' },
        usage: { inputTokens: 260, outputTokens: 18 },
      },
    ],
  },
};

/** The scenarios; keep them few and representative of what runs in production. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'direct-task-with-tools',
    description: 'pinned model, no planner: two parallel tool calls (calculator, clock), then the answer',
    ...DIRECT_TASK,
  },
  {
    name: 'direct-task-local',
    description:
      'the same task after the hand-off work: bookkeeping (tools, catalog, recall) and the two pure tools run as local activities',
    ...DIRECT_TASK,
  },
  {
    name: 'direct-task-remember-local',
    description:
      'the same task once its memory writing is started by a local activity in the last workflow task, not as a child workflow',
    ...DIRECT_TASK,
  },
  {
    name: 'decomposed-task',
    description: 'routed models, planner decomposes into three subtasks (two parallel, one dependent), synthesis',
    input: { goal: 'What was the revenue?' },
    children: ['revenue'],
    script: {
      rules: [
        plannerRule([
          { id: 'prices', title: 'Gather prices' },
          { id: 'volumes', title: 'Gather volumes' },
          { id: 'revenue', title: 'Combine revenue', dependsOn: ['prices', 'volumes'] },
        ]),
        { name: 'prices', match: { lastUser: 'Your part: Gather prices' }, reply: { content: 'PRICE=4 USD' } },
        { name: 'volumes', match: { lastUser: 'Your part: Gather volumes' }, reply: { content: 'VOLUME=250 units' } },
        {
          name: 'revenue-tool',
          match: { lastUser: 'Your part: Combine revenue', hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '4 * 250' } }] },
        },
        {
          name: 'revenue',
          match: { lastUser: 'Your part: Combine revenue', hasToolResults: true },
          reply: { content: 'REVENUE={{toolResult:calculator}} USD' },
        },
        {
          name: 'synthesis',
          match: { system: '^You are the synthesizer' },
          reply: { content: 'Revenue was 1000 USD (4 USD x 250 units).' },
        },
      ],
    },
  },
  {
    name: 'failed-task',
    description: 'pinned model: a tool call, then the provider answers 401 (non-retryable) and the task fails',
    input: { goal: 'What is 12 * 7?', model: MODEL, planning: 'direct' },
    fails: true,
    script: {
      rules: [
        {
          name: 'tool',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '12 * 7' } }] },
        },
        { name: 'unauthorized', match: { hasToolResults: true }, fault: { status: 401, message: 'invalid api key' } },
      ],
    },
  },
  {
    name: 'malformed-tool-calls',
    description:
      'pinned model, no planner: three steps of malformed or unknown tool calls, then the task ends failed (Task.MalformedToolCalls)',
    input: { goal: 'What is 12 * 7?', model: MODEL, planning: 'direct' },
    script: {
      rules: [
        {
          name: 'malformed',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": "1+' }] },
        },
        { name: 'unknown', match: { callNumber: 2 }, reply: { toolCalls: [{ name: 'weather', arguments: {} }] } },
        { name: 'malformed-again', reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": ' }] } },
      ],
    },
  },
  {
    name: 'shared-budget',
    description:
      'routed models, four parallel subtasks sharing a 2000-token budget: each stops before a call its share cannot pay for; capped synthesis',
    input: { goal: 'Count in four directions', budget: { maxTokens: 2000 } },
    children: ['north'],
    script: {
      rules: [
        {
          ...plannerRule(['north', 'south', 'east', 'west'].map((id) => ({ id, title: `Count ${id}` }))),
          usage: { inputTokens: 100, outputTokens: 20 },
        },
        {
          name: 'loop',
          match: { lastUser: 'Your part' },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] },
          usage: { inputTokens: 150, outputTokens: 10 },
        },
        {
          name: 'synthesis',
          match: { system: '^You are the synthesizer' },
          reply: { content: 'All four counted.' },
          usage: { inputTokens: 200, outputTokens: 20 },
        },
      ],
    },
  },
  {
    name: 'long-task',
    description:
      'pinned model, no planner, a 700-token context budget and 3 steps per run: older steps folded by the summarizer, continue-as-new twice (each run kept), then the answer',
    input: {
      goal: 'Add up the numbers one step at a time.',
      model: MODEL,
      planning: 'direct',
      maxSteps: 8,
      stepsPerRun: 3,
      contextMaxTokens: 700,
      memory: false,
    },
    script: {
      rules: [
        {
          name: 'summarize',
          match: { system: '^You compress conversation history' },
          reply: { content: 'SUMMARY: added the first numbers; the running total is 3.' },
        },
        {
          name: 'step',
          match: { system: '^You are Chassis' },
          times: 6,
          reply: {
            content: `Next addition. ${'I keep a careful running record of every partial sum so far. '.repeat(6)}`,
            toolCalls: [{ name: 'calculator', arguments: { expression: '1 + 2' } }],
          },
        },
        { name: 'answer', match: { system: '^You are Chassis' }, reply: { content: 'The total is 3.' } },
      ],
    },
  },
  {
    name: 'open-outcome-resolved',
    description:
      "pinned model, no planner: the side-effecting send_invoice hangs after its effect, so its only attempt ends with the outcome open; a second round (patch tool-open-outcome-resolve-v1) resolves it through the tool's outcome check",
    input: { goal: 'Send the invoice', model: MODEL, planning: 'direct', memory: false, tools: ['send_invoice'] },
    script: {
      rules: [
        {
          name: 'send',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ name: 'send_invoice', arguments: { to: 'acme' } }] },
        },
        { name: 'done', match: { callNumber: 2 }, reply: { content: 'Done: {{lastToolResult}}' } },
      ],
    },
  },
  {
    name: 'approvals-repeated-call-ids',
    description:
      'pinned model, no planner: a provider that reuses the tool-call id "call_dup" at two steps; the gated send_email is approved by a person at step 1 (recorded by the code that keyed decisions by the provider id, so step 2 ran on that decision)',
    input: { goal: 'Send the report twice', model: MODEL, planning: 'direct', memory: false },
    approveAll: true,
    script: {
      rules: [
        {
          name: 'first',
          match: { callNumber: 1 },
          reply: { toolCalls: [{ id: 'call_dup', name: 'send_email', arguments: { to: 'boss@example.com' } }] },
        },
        {
          name: 'second',
          match: { callNumber: 2 },
          reply: { toolCalls: [{ id: 'call_dup', name: 'send_email', arguments: { to: 'all@example.com' } }] },
        },
        { name: 'done', match: { callNumber: 3 }, reply: { content: 'Sent: {{lastToolResult}}' } },
      ],
    },
  },
];

/**
 * One session scenario: messages sent by update (`send`, with a request id) or posted by
 * signal (`post`); the session continues as new after `turnsPerRun` turns and ends when idle.
 * Each run's history is kept: `<name>.json`, `<name>.run-2.json`, ...
 */
interface SessionScenario {
  name: string;
  description: string;
  input: Omit<SessionInput, 'sessionId'>;
  /**
   * Messages in order; each waits for the previous one (a `post` until its turn is recorded,
   * a `dropped` one — posted past the client's checks — until the session has counted it).
   */
  messages: { via: 'send' | 'post' | 'dropped'; requestId: string; message: string }[];
  script: ModelScriptInput;
}

/** The session scenarios; routed models, so the session itself calls describeModels and the summarizer. */
export const SESSION_SCENARIOS: SessionScenario[] = [
  {
    name: 'session',
    description:
      'routed session: a turn by update, the same request id again (deduplicated), a turn by signal, continue-as-new after 2 turns (older turns summarized), a third turn, idle end with a summary',
    input: { turnsPerRun: 2, contextMaxTokens: 450, idleTimeoutMs: 3_000 },
    messages: [
      { via: 'send', requestId: 'r1', message: 'message 1: my name is Ada' },
      { via: 'send', requestId: 'r1', message: 'message 1: my name is Ada' },
      { via: 'post', requestId: 'r2', message: `message 2: ${'a long detour about the weather '.repeat(30)}` },
      { via: 'send', requestId: 'r3', message: 'message 3: what is my name?' },
    ],
    script: {
      rules: [
        { name: 'plan', match: { system: '^You are the planner' }, reply: { content: '{"mode":"direct"}' } },
        {
          name: 'summarize-name',
          match: { system: '^You are the summarizer', anyMessage: 'Ada' },
          reply: { content: 'SUMMARY: the user is called Ada.' },
        },
        { name: 'summarize', match: { system: '^You are the summarizer' }, reply: { content: 'SUMMARY: small talk.' } },
        { name: 'answer', match: { lastUser: '^message' }, reply: { content: 'answer to {{lastUser}}' } },
      ],
    },
  },
];

/** A session state of schema version 1, as an older worker carried it across continue-as-new. */
const VERSION_1_TURN = {
  turn: 7,
  requestId: 'old-7',
  message: 'message 7: I live in Lyon',
  answer: 'answer to message 7: I live in Lyon',
  status: 'completed',
  taskWorkflowId: 'session-fixture-session-state-v1/turn-7',
};
const VERSION_1_STATE = {
  schemaVersion: 1,
  turnCount: 7,
  summary: 'SUMMARY: the user is called Ada.',
  recent: [VERSION_1_TURN],
  answered: [VERSION_1_TURN],
} as unknown as SessionState;

SESSION_SCENARIOS.push({
  name: 'session-state-v1',
  description:
    'schema versions: a session continued as new with a version-1 state (migrated on start), a turn, an invalid posted message (dropped and counted), idle end with a summary',
  input: { idleTimeoutMs: 3_000, state: VERSION_1_STATE },
  messages: [
    { via: 'send', requestId: 'r8', message: 'message 8: where do I live?' },
    { via: 'dropped', requestId: 'bad', message: '   ' },
  ],
  script: SESSION_SCENARIOS[0]!.script,
});

/** Fact extraction (the memory write after a task) asks the model too: no facts. */
const NO_FACTS = { name: 'facts', match: { system: '^You extract durable facts' }, reply: { content: '{"facts":[]}' } };

async function saveHistory(handle: WorkflowHandle, file: string): Promise<void> {
  const history = await handle.fetchHistory();
  const json = historyToJson(history);
  if (json.includes(Buffer.from('binary/chassis-claim-check').toString('base64'))) {
    throw new Error(`${file}: the history holds claim-check references; record without a payload codec`);
  }
  writeFileSync(path.join(HISTORIES_DIRECTORY, file), json);
  process.stderr.write(`wrote ${path.relative(process.cwd(), path.join(HISTORIES_DIRECTORY, file))}\n`);
}

async function record(stack: TestStack, scenario: Scenario, setScript: (script: ModelScriptInput) => void) {
  setScript({ ...scenario.script, rules: [NO_FACTS, ...scenario.script.rules] });
  const workflowId = `fixture-${scenario.name}`;
  const handle = await stack.client.workflow.start('agentTaskWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [scenario.input],
    workflowExecutionTimeout: '2 minutes',
  });
  const approving = scenario.approveAll ? approveWhilePending(handle) : undefined;
  let subtasks: AgentTaskResult['subtasks'] = [];
  const outcome = await handle.result().then(
    (result: AgentTaskResult) => {
      subtasks = result.subtasks;
      return 'completed';
    },
    (error: Error) => `failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
  );
  await approving?.stop();
  if (outcome.startsWith('failed') !== (scenario.fails === true)) {
    throw new Error(`scenario ${scenario.name} ended "${outcome}"; fix its script`);
  }
  // Every run of a task that continued as new: `<name>.json`, `<name>.run-2.json`, ...
  let runId: string | undefined = handle.firstExecutionRunId;
  for (let run = 1; runId !== undefined; run++) {
    const runHandle: WorkflowHandle = stack.client.workflow.getHandle(workflowId, runId);
    await saveHistory(runHandle, run === 1 ? `${scenario.name}.json` : `${scenario.name}.run-${run}.json`);
    const events: temporal.api.history.v1.IHistoryEvent[] = (await runHandle.fetchHistory()).events ?? [];
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  for (const child of scenario.children ?? []) {
    // Subtasks run as `<task>/subtask-<n>`; the file keeps the planner's id for its name.
    const childId = subtasks.find((subtask) => subtask.id === child)?.workflowId ?? `${workflowId}/${child}`;
    const handle = stack.client.workflow.getHandle(childId);
    // The memory write is an abandoned child: it may still run when the task has answered.
    await handle.result().catch(() => undefined);
    await saveHistory(handle, `${scenario.name}.${child}.json`);
  }
}

/** Approves, by update, each approval the task waits for, until stopped. */
function approveWhilePending(handle: WorkflowHandle): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const view = await handle.query(agentTaskStatusQuery).catch(() => undefined);
      for (const request of view?.pending ?? []) {
        if (request.kind !== 'approval') continue;
        await handle
          .executeUpdate(decideApprovalUpdate, { args: [{ callId: request.callId, approved: true }] })
          .catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function recordSession(
  stack: TestStack,
  scenario: SessionScenario,
  setScript: (script: ModelScriptInput) => void,
): Promise<void> {
  setScript({ ...scenario.script, rules: [NO_FACTS, ...scenario.script.rules] });
  const sessionId = `fixture-${scenario.name}`;
  const workflowId = sessionWorkflowId(sessionId);
  const { state, ...settings } = scenario.input;
  const options = { taskQueue: stack.taskQueue, input: settings };
  const runIds: string[] = [];
  const noteRun = async () => {
    const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
    if (runIds.at(-1) !== runId) runIds.push(runId);
  };
  if (state !== undefined) {
    // A carried state arrives only by continue-as-new; a start with it stands for that.
    await stack.client.workflow.start('sessionWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [{ sessionId, ...scenario.input }],
    });
  }
  let turns = state?.turnCount ?? 0;
  for (const message of scenario.messages) {
    if (message.via === 'dropped') {
      const handle = stack.client.workflow.getHandle(workflowId);
      const before = (await handle.query(sessionStatusQuery)).droppedMessages;
      await handle.signal(postMessageSignal, message);
      await waitFor(
        () => handle.query(sessionStatusQuery).then((view) => view.droppedMessages),
        (dropped) => dropped > before,
        `the dropped message of ${workflowId}`,
      );
    } else if (message.via === 'send') {
      const reply = await sendToSession(stack.client, sessionId, message.message, {
        ...options,
        requestId: message.requestId,
      });
      turns = Math.max(turns, reply.turn);
    } else {
      await stack.client.workflow.getHandle(workflowId).signal(postMessageSignal, message);
      turns++;
      // The posted turn is answered when the session (this run, or the next after continue-as-new) counts it.
      await waitFor(
        () =>
          stack.client.workflow
            .getHandle(workflowId)
            .query(sessionStatusQuery)
            .then((view) => view.turnCount)
            .catch(() => 0),
        (turnCount) => turnCount >= turns,
        `turn ${turns} of ${workflowId}`,
      );
    }
    await noteRun();
  }
  await stack.client.workflow.getHandle(workflowId).result();
  await noteRun();
  for (const [index, runId] of runIds.entries()) {
    const file = index === 0 ? `${scenario.name}.json` : `${scenario.name}.run-${index + 1}.json`;
    await saveHistory(stack.client.workflow.getHandle(workflowId, runId), file);
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  const config = loadConfig();
  const rig = await startScriptedRig({ script: SCENARIOS[0]!.script });
  const models = rig.gateway();
  const tools = new ToolRegistry([...builtInTools({ now: () => FIXED_NOW }), sendEmailTool, hangingInvoiceTool]);
  // Memory on, as in production, in a throw-away database: recall finds nothing, the task is remembered.
  const mongo = await MongoClient.connect(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
  const db = mongo.db(`chassis_fixtures_${randomUUID().slice(0, 8)}`);
  const embedder = new HashedNgramEmbedder();
  const capabilities = await ensureMemoryIndexes(db, { embedder: embedder.description });
  const stack = await rig.startStack({
    dependencies: { models, tools, db, memory: { db, embedder, models, capabilities } },
  });
  try {
    for (const scenario of SCENARIOS.filter((entry) => wanted(entry.name)))
      await record(stack, scenario, (script) => rig.model.setScript(script));
    for (const scenario of SESSION_SCENARIOS.filter((entry) => wanted(entry.name)))
      await recordSession(stack, scenario, (script) => rig.model.setScript(script));
  } finally {
    await rig.close();
    await db.dropDatabase();
    await mongo.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`record-histories: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
