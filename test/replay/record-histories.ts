/**
 * Re-records the workflow histories under `test/fixtures/histories/` from representative
 * tasks run on the real dev server, with the scripted model server (a test double of the
 * provider) answering. Run it after a deliberate, patched workflow change, or to add a
 * scenario:
 *
 *     npx tsx test/replay/record-histories.ts        (needs the local stack: chassis dev up)
 *
 * Histories are recorded without a payload codec, so each file is self-contained (a
 * claim-checked history would need the MongoDB blobs it points at). Keep the old files
 * that still replay: they stand for workflows already running in production.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJson } from '../../src/client/replay/history-json';
import { MongoClient } from 'mongodb';
import type { AgentTaskInput } from '../../src/contracts/agent-task';
import { loadConfig } from '../../src/config/load-config';
import { ensureMemoryIndexes } from '../../src/memory/database';
import { HashedNgramEmbedder } from '../../src/memory/embedders/hashed-ngram-embedder';
import { ModelCatalog } from '../../src/models/catalog';
import { ModelGateway } from '../../src/models/model-gateway';
import { startScriptedModelServer, type ModelScriptInput } from '../../src/testing/scripted-model';
import { bundleWorkflows, startTestStack, type TestStack } from '../../src/testing/temporal-harness';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';

/** Where the fixtures live. */
export const HISTORIES_DIRECTORY = path.join(__dirname, '..', 'fixtures', 'histories');

const MODEL = 'gpt-4.1-mini';
const FIXED_NOW = new Date('2026-01-02T03:04:05.000Z');

/** One scenario: a task, the script that answers it, and which histories to keep. */
interface Scenario {
  name: string;
  description: string;
  input: AgentTaskInput;
  script: ModelScriptInput;
  /** Child workflows whose histories are kept too, by the suffix of their id (`remember` is the memory write). */
  children?: string[];
  /** The task is expected to fail (its history ends in WorkflowExecutionFailed). */
  fails?: boolean;
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

/** The scenarios; keep them few and representative of what runs in production. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'direct-task-with-tools',
    description: 'pinned model, no planner: two parallel tool calls (calculator, clock), then the answer',
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
];

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
  const outcome = await handle.result().then(
    () => 'completed',
    (error: Error) => `failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
  );
  if (outcome.startsWith('failed') !== (scenario.fails === true)) {
    throw new Error(`scenario ${scenario.name} ended "${outcome}"; fix its script`);
  }
  await saveHistory(handle, `${scenario.name}.json`);
  for (const child of scenario.children ?? []) {
    const handle = stack.client.workflow.getHandle(`${workflowId}/${child}`);
    // The memory write is an abandoned child: it may still run when the task has answered.
    await handle.result().catch(() => undefined);
    await saveHistory(handle, `${scenario.name}.${child}.json`);
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const bundle = await bundleWorkflows();
  const model = await startScriptedModelServer({ script: SCENARIOS[0]!.script, log: () => undefined });
  const models = new ModelGateway({ baseUrl: model.baseURL, timeoutMs: 10_000 }, new ModelCatalog());
  const tools = new ToolRegistry(builtInTools({ now: () => FIXED_NOW }));
  // Memory on, as in production, in a throw-away database: recall finds nothing, the task is remembered.
  const mongo = await MongoClient.connect(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
  const db = mongo.db(`chassis_fixtures_${randomUUID().slice(0, 8)}`);
  const embedder = new HashedNgramEmbedder();
  const capabilities = await ensureMemoryIndexes(db, { embedder: embedder.description });
  const stack = await startTestStack({
    bundle,
    dependencies: { models, tools, db, memory: { db, embedder, models, capabilities } },
  });
  try {
    for (const scenario of SCENARIOS) await record(stack, scenario, (script) => model.setScript(script));
  } finally {
    await stack.stop();
    await model.close();
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
