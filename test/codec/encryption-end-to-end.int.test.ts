import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { BSON, MongoClient, type Db } from 'mongodb';
import { PAYLOADS_COLLECTION } from '../../src/codec/claim-check-store';
import { ENCODED_FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { loadConfig } from '../../src/config/load-config';
import { MemoryCollection } from '../../src/memory/database';
import { temporalCliPath } from '../../src/stack/binaries';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { TOOL_EFFECTS_COLLECTION } from '../../src/tools/effect-ledger';
import { TOOL_OUTPUTS_COLLECTION } from '../../src/tools/output-store';
import { TOOL_CACHE_COLLECTION } from '../../src/tools/result-cache';
import { buildDependencies, type BuiltDependencies } from '../../src/workers/build-dependencies';
import { chassis, eventually } from '../client/operations-support';
import { useScriptedStack } from '../support/scripted-stack';

// With CHASSIS_PAYLOAD_KEY set, a task started by the real CLI (`chassis run`), run by workers
// built like `chassis worker` builds them (buildDependencies), whose goal, plan, tool output
// and answer carry a marker word, and a second task that fails with the marker in its error,
// leave the marker nowhere: not in the raw histories (the Temporal CLI's JSON and the
// protobuf bytes a client without codecs fetches), not in `workflow describe`, and not in
// any document of any collection of the database. Everything is real except the model: the
// scripted OpenAI-compatible server.
const MARKER = `okapi${randomBytes(5).toString('hex')}`;
const PAGE = `${`The ${MARKER} field notes. `.repeat(700)}End.`;

// Bundled with the encoded-failure converter, as a worker with CHASSIS_PAYLOAD_KEY bundles its workflows.
const scripted = useScriptedStack({ bundle: { failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH }, stack: false });
let page: Server;
let workspace: string;
let environment: Record<string, string>;
let built: BuiltDependencies;
let stack: TestStack;
let mongo: MongoClient;
let db: Db;
let rawConnection: Connection;
/** A client without codecs: it sees exactly what Temporal stores. */
let rawClient: Client;

beforeAll(async () => {
  page = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(PAGE);
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  const pageAddress = `127.0.0.1:${(page.address() as AddressInfo).port}`;
  workspace = mkdtempSync(path.join(tmpdir(), 'chassis-e2e-'));
  scripted.model.setScript(script(pageAddress));
  const database = `chassis_test_e2e_${randomBytes(4).toString('hex')}`;
  environment = {
    CHASSIS_PAYLOAD_KEY: randomBytes(32).toString('base64'),
    CHASSIS_TASK_QUEUE: `e2e-${randomBytes(6).toString('hex')}`,
    MONGODB_DB: database,
    OPENAI_BASE_URL: scripted.model.baseURL,
    OPENAI_API_KEY: 'sk-scripted-test-double',
    CHASSIS_MODEL: 'gpt-4.1-mini',
    CHASSIS_EMBEDDER: 'hashed-ngram',
    CHASSIS_WORKSPACE_DIR: workspace,
    CHASSIS_HTTP_ALLOWED_HOSTS: pageAddress,
    CHASSIS_HTTP_ALLOW_PRIVATE: '127.0.0.1',
  };
  // The worker runs in this process (this test file's own jest worker): its environment is the worker's,
  // and the model endpoints read theirs (base URL, key variable) from it.
  Object.assign(process.env, environment);
  const config = loadConfig();
  // The worker process's own dependencies, data converter (codecs, encoded failures) and bundle.
  built = await buildDependencies(config, { log: () => undefined });
  await built.mongo.firstAttempt;
  // The rig's stack, not a test's: it serves every test and stops in the rig's afterAll.
  stack = await scripted.rig.startStack({
    dependencies: built.dependencies,
    dataConverter: built.dataConverter,
    taskQueue: config.temporal.taskQueue,
  });
  mongo = await MongoClient.connect(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
  db = mongo.db(database);
  rawConnection = await Connection.connect({ address: config.temporal.address });
  rawClient = new Client({ connection: rawConnection, namespace: config.temporal.namespace });
}, 120_000);

afterAll(async () => {
  await built?.close();
  await rawConnection?.close();
  await db?.dropDatabase();
  await mongo?.close();
  page?.close();
  if (workspace !== undefined) rmSync(workspace, { recursive: true, force: true });
});

function script(pageAddress: string): ModelScriptInput {
  return {
    rules: [
      {
        name: 'refuse',
        match: { anyMessage: 'please fail' },
        fault: { status: 401, message: `the key for ${MARKER} was revoked` },
      },
      {
        name: 'facts',
        match: { system: '^You extract durable facts' },
        reply: { content: JSON.stringify({ facts: [{ text: `The user studies ${MARKER}.`, category: 'fact' }] }) },
      },
      {
        name: 'plan',
        match: { system: '^You are the planner' },
        reply: {
          content: JSON.stringify({
            mode: 'decompose',
            subtasks: [
              {
                id: `read-${MARKER}`,
                title: `Read the ${MARKER} notes`,
                instructions: `Fetch the ${MARKER} page and save notes.`,
                dependsOn: [],
                tools: ['http_fetch', 'workspace_write'],
              },
            ],
          }),
        },
      },
      {
        name: 'tools',
        match: { lastUser: 'Your part', hasToolResults: false },
        reply: {
          toolCalls: [
            { name: 'http_fetch', arguments: { url: `http://${pageAddress}/${MARKER}` } },
            { name: 'workspace_write', arguments: { path: `notes-${MARKER}.txt`, content: `${MARKER} notes` } },
          ],
        },
      },
      { name: 'part', match: { lastUser: 'Your part', hasToolResults: true }, reply: { content: `Part: ${MARKER}.` } },
      { name: 'synthesis', match: { system: '^You are the synthesizer' }, reply: { content: `About ${MARKER}.` } },
    ],
  };
}

/** True when the marker is in the text, or in any string of it that is base64 (payload data in JSON). */
function revealsMarker(json: string): boolean {
  if (json.includes(MARKER)) return true;
  const strings = json.match(/"[A-Za-z0-9+/=_-]{8,}"/g) ?? [];
  return strings.some((quoted) => Buffer.from(quoted.slice(1, -1), 'base64').toString('latin1').includes(MARKER));
}

function temporalCli(args: string[]): Promise<string> {
  const config = loadConfig();
  return new Promise((resolve, reject) => {
    execFile(
      temporalCliPath(),
      [...args, '--address', config.temporal.address, '--namespace', config.temporal.namespace, '--output', 'json'],
      { maxBuffer: 64 << 20 },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}: ${stderr}`))),
    );
  });
}

describe('with a payload key set, nothing a user wrote or a model produced is readable at rest', () => {
  test('a task and a failed task leave the marker in no history, description or database document', async () => {
    const ran = await chassis(['run', `Summarize the ${MARKER} notes`, '--json'], environment);
    expect(ran.stderr).toBe('');
    const outcome = JSON.parse(ran.stdout) as { workflowId: string; status: string; answer: string };
    // The CLI, holding the key, reads everything back; the id carries nothing of the goal.
    expect(outcome).toMatchObject({ status: 'completed', answer: `About ${MARKER}.` });
    expect(outcome.workflowId).toMatch(/^task-[0-9a-f]{16}$/);
    // The tools really ran with the marker: the page was fetched, the note written.
    const toolResults = JSON.stringify(scripted.model.requests.map((request) => request.body));
    expect(toolResults).toContain(`The ${MARKER} field notes.`);
    expect(toolResults).toContain(`notes-${MARKER}.txt`);

    const failed = await chassis(['run', `please fail ${MARKER}`, '--direct', '--json'], environment);
    const failure = JSON.parse(failed.stdout) as { workflowId: string; status: string; error: string };
    expect(failure.status).toBe('failed');
    // Decoded by the CLI: the failure message travelled encrypted.
    expect(failure.error).toContain(`the key for ${MARKER} was revoked`);

    const memoryWrite = stack.client.workflow.getHandle(`${outcome.workflowId}/remember`);
    await memoryWrite.result();
    const workflowIds = [
      outcome.workflowId,
      `${outcome.workflowId}/subtask-1`,
      memoryWrite.workflowId,
      failure.workflowId,
    ];
    const listed = await eventually(async () => {
      const ids: string[] = [];
      for await (const info of rawClient.workflow.list({ query: `TaskQueue = "${environment.CHASSIS_TASK_QUEUE}"` })) {
        ids.push(info.workflowId);
      }
      return ids.length >= workflowIds.length ? ids : undefined;
    });
    expect(listed.sort()).toEqual([...workflowIds].sort());

    for (const workflowId of workflowIds) {
      const shown = await temporalCli(['workflow', 'show', '--workflow-id', workflowId]);
      expect(shown).toContain('"eventType"');
      expect(revealsMarker(shown)).toBe(false);
      const described = await temporalCli(['workflow', 'describe', '--workflow-id', workflowId]);
      expect(revealsMarker(described)).toBe(false);
      const history = await rawClient.workflow.getHandle(workflowId).fetchHistory();
      const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
      expect(bytes).not.toContain(MARKER);
    }
    // The failure is in the history, as "Encoded failure" with its text in an encrypted payload.
    const failedHistory = await temporalCli(['workflow', 'show', '--workflow-id', failure.workflowId]);
    expect(failedHistory).toContain('Encoded failure');

    const collections = (await db.listCollections().toArray()).map((collection) => collection.name).sort();
    expect(collections).toEqual(
      expect.arrayContaining([
        PAYLOADS_COLLECTION,
        TOOL_OUTPUTS_COLLECTION,
        TOOL_CACHE_COLLECTION,
        TOOL_EFFECTS_COLLECTION,
        MemoryCollection.episodes,
        MemoryCollection.knowledge,
      ]),
    );
    for (const name of collections) {
      const documents = await db.collection(name).find({}).toArray();
      for (const document of documents) {
        // The BSON bytes hold strings and binaries verbatim; the JSON form is what a dump shows.
        expect(Buffer.from(BSON.serialize(document)).toString('latin1')).not.toContain(MARKER);
        expect(revealsMarker(BSON.EJSON.stringify(document))).toBe(false);
      }
    }
    // Each store was written to (so the check above had something to find).
    for (const name of [TOOL_OUTPUTS_COLLECTION, TOOL_CACHE_COLLECTION, TOOL_EFFECTS_COLLECTION]) {
      expect(await db.collection(name).countDocuments()).toBeGreaterThan(0);
    }
    expect(await db.collection(MemoryCollection.episodes).countDocuments()).toBeGreaterThan(0);
    expect(await db.collection(MemoryCollection.knowledge).countDocuments({ kind: 'fact' })).toBeGreaterThan(0);
    expect(await db.collection(PAYLOADS_COLLECTION).countDocuments()).toBeGreaterThan(0);
  }, 180_000);
});
