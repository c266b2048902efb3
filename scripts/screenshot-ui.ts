/**
 * Takes a headless-Chromium screenshot of a task's page in the Temporal Web UI, so the
 * picture in the docs can be redone. Installs nothing: Chromium comes from Debian's
 * `chromium` package (the script says how to install it when it is missing).
 *
 *     npx tsx scripts/screenshot-ui.ts [--workflow <id> [--run <runId>]] [--out docs/ui-task]
 *                                      [--view all|history|relationships|search-attributes|list]
 *
 * `--view all` (the default) writes `<out>.png` (the task page: input, result, timeline with
 * its child workflows), `<out>-search-attributes.png` and `<out>-list.png` (the workflow
 * list filtered to the task and its children).
 *
 * Without --workflow it first runs a demo decomposed task (planner → three subtasks as
 * child workflows → synthesis) on its own task queue, answered by the scripted model
 * server (a test double, not a model), so the page shows children and search attributes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { workflowUiUrl } from '../src/client/connection';
import { loadConfig, type ChassisConfig } from '../src/config/load-config';
import type { AgentTaskInput } from '../src/contracts/agent-task';
import { ChassisSession, ChassisStatus } from '../src/contracts/search-attributes';
import { ModelCatalog } from '../src/models/catalog';
import { ModelGateway } from '../src/models/model-gateway';
import { startScriptedModelServer, type ModelScriptInput } from '../src/testing/scripted-model';
import { bundleWorkflows } from '../src/testing/temporal-harness';
import { builtInTools } from '../src/tools/builtin';
import { ToolRegistry } from '../src/tools/registry';
import { createWorkers } from '../src/workers/create-workers';
import { installWorkerRuntime } from '../src/workers/install-runtime';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DEMO_GOAL = 'What was our revenue last quarter, from unit price and volume?';

const DEMO_SCRIPT: ModelScriptInput = {
  rules: [
    {
      name: 'plan',
      match: { system: '^You are the planner' },
      reply: {
        content: JSON.stringify({
          mode: 'decompose',
          subtasks: [
            {
              id: 'prices',
              title: 'Gather the unit price',
              instructions: 'Find the unit price.',
              dependsOn: [],
              tools: ['calculator'],
            },
            {
              id: 'volumes',
              title: 'Gather the volume',
              instructions: 'Find the units sold.',
              dependsOn: [],
              tools: ['calculator'],
            },
            {
              id: 'revenue',
              title: 'Combine into revenue',
              instructions: 'Multiply price by volume.',
              dependsOn: ['prices', 'volumes'],
              tools: ['calculator'],
            },
          ],
        }),
      },
      usage: { inputTokens: 900, outputTokens: 120 },
    },
    {
      name: 'prices',
      match: { lastUser: 'Your part: Gather the unit price' },
      reply: { content: 'Unit price: 4 USD.' },
    },
    { name: 'volumes', match: { lastUser: 'Your part: Gather the volume' }, reply: { content: 'Units sold: 250.' } },
    {
      name: 'revenue-tool',
      match: { lastUser: 'Your part: Combine into revenue', hasToolResults: false },
      reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '4 * 250' } }] },
    },
    {
      name: 'revenue',
      match: { lastUser: 'Your part: Combine into revenue', hasToolResults: true },
      reply: { content: 'Revenue: {{toolResult:calculator}} USD.' },
    },
    {
      name: 'synthesis',
      match: { system: '^You are the synthesizer' },
      reply: { content: 'Revenue last quarter was 1,000 USD (4 USD x 250 units).' },
      usage: { inputTokens: 1500, outputTokens: 60 },
    },
  ],
};

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

function fail(message: string): never {
  process.stderr.write(`screenshot-ui: ${message}\n`);
  process.exit(2);
}

/** Runs the demo decomposed task with its own workers and returns its workflow and run ids. */
async function runDemoTask(config: ChassisConfig): Promise<{ workflowId: string; runId: string }> {
  installWorkerRuntime('WARN');
  process.stderr.write('running a demo decomposed task (scripted model, a test double)…\n');
  const bundle = await bundleWorkflows();
  const model = await startScriptedModelServer({ script: DEMO_SCRIPT, log: () => undefined });
  const taskQueue = `screenshot-ui-${Date.now()}`;
  const native = await NativeConnection.connect({ address: config.temporal.address });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const workers = await createWorkers({
      connection: native,
      namespace: config.temporal.namespace,
      taskQueue,
      workflowBundle: bundle,
      dependencies: {
        models: new ModelGateway({
          catalog: new ModelCatalog(),
          timeoutMs: 10_000,
          singleEndpoint: { baseUrl: model.baseURL },
        }),
        tools: new ToolRegistry(builtInTools()),
      },
    });
    const running = workers.run();
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      // Memory off: this worker has no memory configured, and the picture is about the task tree.
      const input: AgentTaskInput = { goal: DEMO_GOAL, sessionId: 'ui-demo', memory: false };
      const handle = await client.workflow.start('agentTaskWorkflow', {
        taskQueue,
        workflowId: `ui-demo-revenue-${Date.now().toString(36)}`,
        args: [input],
        staticSummary: `Agent task: ${DEMO_GOAL}`,
        typedSearchAttributes: [
          { key: ChassisStatus, value: 'running' },
          { key: ChassisSession, value: 'ui-demo' },
        ],
      });
      await handle.result();
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    } finally {
      workers.shutdown();
      await running;
    }
  } finally {
    await native.close();
    await connection.close();
    await model.close();
  }
}

/** The run to show: the one given, else the workflow's latest. */
async function latestRun(config: ChassisConfig, workflowId: string, runId: string | undefined) {
  if (runId !== undefined) return { workflowId, runId };
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return { workflowId, runId: (await client.workflow.getHandle(workflowId).describe()).runId };
  } finally {
    await connection.close();
  }
}

function pageUrl(config: ChassisConfig, view: string, workflowId: string, runId: string): string {
  const history = workflowUiUrl(config, workflowId, runId);
  if (view === 'history') return history;
  if (view === 'relationships' || view === 'search-attributes') return history.replace(/\/history$/, `/${view}`);
  // The workflow list, filtered by a visibility query over the Chassis search attributes.
  const base = config.temporal.uiUrl.replace(/\/$/, '');
  const query = `WorkflowId STARTS_WITH "${workflowId}"`;
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    fail(
      `${CHROMIUM} not found: install Debian's chromium package with\n  sudo apt-get update && sudo apt-get install -y chromium\n(or set CHROMIUM_PATH)`,
    );
  }
  const config = loadConfig();
  const out = path.resolve(option('out') ?? path.join('docs', 'ui-task')).replace(/\.png$/, '');
  const view = option('view') ?? 'all';
  const views = view === 'all' ? ['history', 'search-attributes', 'list'] : [view];
  if (!views.every((name) => ['history', 'relationships', 'search-attributes', 'list'].includes(name))) {
    fail(`--view ${view}: use all, history, relationships, search-attributes or list`);
  }
  const ui = await fetch(config.temporal.uiUrl).catch(() => undefined);
  if (ui === undefined || !ui.ok)
    fail(`the Temporal UI at ${config.temporal.uiUrl} does not answer: run "chassis dev up"`);

  const given = option('workflow');
  const { workflowId, runId } =
    given !== undefined ? await latestRun(config, given, option('run')) : await runDemoTask(config);
  mkdirSync(path.dirname(out), { recursive: true });
  for (const name of views) {
    const file = name === 'history' ? `${out}.png` : `${out}-${name}.png`;
    const url = pageUrl(config, name, workflowId, runId);
    screenshot(url, file);
    process.stdout.write(`${file}  ${url}\n`);
  }
}

/** One headless-Chromium screenshot, with a throw-away profile. */
function screenshot(url: string, file: string): void {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chassis-chromium-'));
  try {
    const result = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--window-size=1400,1000',
        // The UI is a single-page app: give its scripts time to load the workflow before the shot.
        '--virtual-time-budget=15000',
        `--screenshot=${file}`,
        url,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (result.status !== 0 || !existsSync(file)) {
      fail(
        `chromium failed (exit ${result.status}): ${(result.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => fail((error as Error).message));
