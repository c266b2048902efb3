import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { waitForPollers, startTask } from '../../src/client/task-client';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import type { EpisodeDocument } from '../../src/memory/documents';
import { MemoryCollection } from '../../src/memory/database';
import { TOOL_EFFECTS_COLLECTION } from '../../src/tools/effect-ledger';
import { startPrivateMongo, type PrivateServer } from '../../src/testing/private-servers';
import { loadScriptFile, type ScriptedModelServer } from '../../src/testing/scripted-model';
import type { RememberTaskResult } from '../../src/contracts/memory';
import { DEMO_GOAL, DEMO_SCRIPT_PATH } from '../../src/client/offline/demo-goal';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

jest.setTimeout(330_000);

/** Polls `check` every half second until it returns true. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `promise`, or a rejection with `message` after `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A real `chassis worker` started while its MongoDB (a private FerretDB) is down: it comes
 * up, tasks run without memory, and the memory write of a task lands once the database is
 * started, with no restart of the worker. The model is the scripted server, reached as an
 * OpenAI-compatible endpoint (chat and embeddings), so the test counts embeddings requests.
 */
describe('a worker and a MongoDB that is down', () => {
  let mongo: PrivateServer;
  let model: ScriptedModelServer;
  let worker: WorkerProcess;
  let connection: Connection;
  let client: Client;
  const taskQueue = `test-mongodb-down-${randomUUID()}`;

  beforeAll(async () => {
    mongo = await startPrivateMongo({ start: false });
    model = await startQuietScriptedModel(await loadScriptFile(DEMO_SCRIPT_PATH));
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    client = new Client({ connection });
  });

  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await model?.close();
    await mongo?.dispose();
  });

  it('comes up, runs a task without memory, and writes its memory once MongoDB starts', async () => {
    worker = spawnWorkerProcess({
      MONGODB_URI: mongo.address,
      CHASSIS_TASK_QUEUE: taskQueue,
      OPENAI_BASE_URL: model.baseURL,
      OPENAI_API_KEY: '',
      CHASSIS_EMBEDDER: 'openai',
      CHASSIS_EMBEDDING_DIMENSIONS: '64',
    });
    const port = new URL(mongo.address.replace('mongodb:', 'http:')).port;
    await worker.waitForLine(
      new RegExp(`^waiting for MongoDB at 127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`),
    );
    const firstHealth = await worker.waitForLine(/^health: /);
    expect(firstHealth).toMatch(
      new RegExp(
        `^health: temporal ok · mongodb down \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) · models ok \\(`,
      ),
    );
    // The start-up block says what the worker serves and how memory stands.
    expect(worker.lines).toContain('chassis worker');
    expect(worker.lines.join('\n')).toMatch(/serves +task queue ".*": workflows .*agentTaskWorkflow/);
    expect(worker.lines.join('\n')).toMatch(/MongoDB does not answer yet/);
    expect(worker.lines.join('\n')).not.toMatch(/\bWARN\b/);
    expect(await waitForPollers(client, taskQueue, 60_000)).toBe(true);

    const handle = await startTask(client, { goal: DEMO_GOAL }, { taskQueue });
    const result: AgentTaskResult = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.answer).toContain('409.5');
    expect(result.notes.join('\n')).toMatch(/memory was unavailable .*answered without recalled memory/);

    // The task's memory write keeps failing while MongoDB is down; each attempt embeds first.
    const remember = client.workflow.getHandle(`${handle.workflowId}/remember`);
    const episodeContent = `Task: ${DEMO_GOAL}\nAnswer: ${result.answer}`;
    const episodeEmbeddings = () =>
      model.allRequests.filter(
        (request) =>
          request.path === '/v1/embeddings' &&
          JSON.stringify((request.body as { input?: unknown }).input).includes(JSON.stringify(episodeContent)),
      ).length;
    // `attempt` is the attempt running or scheduled next: 4 means three have failed.
    await until(
      async () => {
        const pending = (await remember.describe()).raw.pendingActivities ?? [];
        return pending.some((activity) => (activity.attempt ?? 0) >= 4);
      },
      120_000,
      'three failed attempts of the episode write',
    );
    // Three attempts, one embeddings request: the retries reuse the vector.
    expect(episodeEmbeddings()).toBe(1);

    const beforeStart = worker.lines.length;
    await mongo.start();
    const stored = await withDeadline(
      remember.result() as Promise<RememberTaskResult>,
      150_000,
      'the memory write did not land within 150 s of MongoDB starting',
    );
    expect(stored.episodeStored).toBe(true);
    expect(episodeEmbeddings()).toBe(1);

    // The worker noticed by itself: no restart, the same process.
    await worker.waitForLine(/^MongoDB at 127\.0\.0\.1:\d+ answers; memory: vectors are stored/, {
      after: beforeStart,
    });
    expect(await worker.waitForLine(/^health: /, { after: beforeStart })).toMatch(
      /^health: temporal ok · mongodb ok · models ok/,
    );
    expect(worker.running()).toBe(true);

    const database = new MongoClient(mongo.address, { serverSelectionTimeoutMS: 5_000 });
    try {
      const episode = await database
        .db('chassis')
        .collection<EpisodeDocument>(MemoryCollection.episodes)
        .findOne({ _id: `${handle.workflowId}/task` });
      expect(episode?.content).toBe(episodeContent);
      expect(episode?.embedder).toEqual({ name: 'openai:text-embedding-3-small', dimensions: 64 });
      // The indexes skipped at start were created once MongoDB answered.
      const indexes = await database.db('chassis').collection(MemoryCollection.episodes).listIndexes().toArray();
      expect(indexes.map((index) => index.name)).toEqual(expect.arrayContaining(['session_recent', 'workflow']));
      const ledgerIndexes = await database.db('chassis').collection(TOOL_EFFECTS_COLLECTION).listIndexes().toArray();
      // expiresAt_ttl where the server has TTL indexes, expiresAt_1 on FerretDB v1.
      expect(ledgerIndexes.map((index) => index.name)).toContainEqual(expect.stringMatching(/^expiresAt_/));
    } finally {
      await database.close();
    }
  });

  it('goes on when MongoDB goes away and comes back while it runs', async () => {
    let mark = worker.lines.length;
    await mongo.kill();
    await worker.waitForLine(/^health: temporal ok · mongodb down/, { after: mark });
    mark = worker.lines.length;
    await mongo.start();
    await worker.waitForLine(/^health: temporal ok · mongodb ok/, { after: mark });

    // Memory works again in the same process: recall without a note, the write lands.
    const handle = await startTask(client, { goal: DEMO_GOAL }, { taskQueue });
    const result: AgentTaskResult = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.notes.join('\n')).not.toMatch(/memory was unavailable/);
    const stored = await withDeadline(
      client.workflow.getHandle(`${handle.workflowId}/remember`).result() as Promise<RememberTaskResult>,
      60_000,
      'the memory write did not land within 60 s',
    );
    expect(stored.episodeStored).toBe(true);
    expect(worker.running()).toBe(true);
  });
});
