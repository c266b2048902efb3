import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions } from '../../src/config/temporal-connection';
import type { RetentionSweepResult } from '../../src/contracts/retention';
import { MemoryCollection } from '../../src/memory/database';
import { PROMPT_CACHE_COLLECTION } from '../../src/models/prompt-cache';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { TOOL_OUTPUTS_COLLECTION } from '../../src/tools/output-store';
import { chassis, expectOneLineError } from './operations-support';

// `chassis gc` as a user runs it: the real CLI in a child process, against a database of this
// file's own on the local MongoDB-wire server and the shared Temporal dev server.

const DAY = 86_400_000;
let database: TestDatabase;
let connection: Connection;
let client: Client;
const RUNNING = `gc-cli-running-${randomUUID().slice(0, 8)}`;
const GONE = `gc-cli-gone-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  database = await openTestDatabase('gc_cli');
  const config = loadConfig();
  connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  client = new Client({ connection, namespace: config.temporal.namespace });
  // On a queue no worker polls it stays running until terminated.
  await client.workflow.start('retentionSweepWorkflow', {
    workflowId: RUNNING,
    taskQueue: `gc-cli-idle-${randomUUID()}`,
    args: [{}],
    workflowExecutionTimeout: '10 minutes',
  });
  for (let attempt = 0; ; attempt++) {
    const listed = await client.workflow.count(`WorkflowId = "${RUNNING}" AND ExecutionStatus = "Running"`);
    if (listed.count === 1) break;
    if (attempt > 50) throw new Error('visibility never listed the running workflow');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

afterAll(async () => {
  await client?.workflow
    .getHandle(RUNNING)
    .terminate('gc test done')
    .catch(() => undefined);
  await connection?.close();
  await database?.drop();
});

const gc = (args: string[], environment: Record<string, string> = {}) =>
  chassis(['gc', ...args], { MONGODB_DB: database.db.databaseName, ...environment });

async function ids(collection: string): Promise<string[]> {
  const documents = await database.db
    .collection<{ _id: string }>(collection)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  return documents.map((document) => document._id).sort();
}

describe('chassis gc', () => {
  test('--dry-run counts, then a sweep deletes exactly the old documents no running workflow needs and prints the counts per collection', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
    const collection = (name: string) => database.db.collection<{ _id: string } & Record<string, unknown>>(name);
    await collection(PROMPT_CACHE_COLLECTION).insertMany([
      { _id: 'answer-old', model: 'm', createdAt: daysAgo(40) },
      { _id: 'answer-recent', model: 'm', createdAt: daysAgo(3) },
    ]);
    await collection(TOOL_OUTPUTS_COLLECTION).insertMany([
      { _id: 'a'.repeat(64), content: 'x', chars: 1, tool: 't', createdAt: daysAgo(40), workflowIds: [GONE] },
      { _id: 'b'.repeat(64), content: 'y', chars: 1, tool: 't', createdAt: daysAgo(40), workflowIds: [RUNNING] },
    ]);
    await collection(MemoryCollection.episodes).insertMany([
      { _id: `${GONE}/episode`, sessionId: 's', workflowId: GONE, recordedAt: daysAgo(10) },
    ]);

    const dryRun = await gc(['--dry-run', '--json']);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
    const counted = JSON.parse(dryRun.stdout) as RetentionSweepResult;
    expect(counted.dryRun).toBe(true);
    expect(counted.collections.model_prompt_cache).toEqual({ deleted: 1, keptInUse: 0 });
    expect(counted.collections.tool_outputs).toEqual({ deleted: 1, keptInUse: 1 });
    expect(counted.collections.memory_episodes).toEqual({ deleted: 0, keptInUse: 0 });
    expect(await ids(PROMPT_CACHE_COLLECTION)).toEqual(['answer-old', 'answer-recent']);

    // The default is CHASSIS_RETENTION_DAYS; --older-than overrides it.
    const swept = await gc(['--older-than', '7d']);
    expect(swept.stderr).toBe('');
    expect(swept.code).toBe(0);
    const lines = swept.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^Deleted what was last used before \d{4}-\d\d-\d\dT\S+Z \(older than 1w\) and no running workflow needs$/,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^model_prompt_cache\s+1\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^tool_outputs\s+1\s+1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^memory_episodes\s+1\s+0$/));
    expect(lines.at(-1)).toMatch(/^total\s+3\s+1$/);
    expect(await ids(PROMPT_CACHE_COLLECTION)).toEqual(['answer-recent']);
    expect(await ids(TOOL_OUTPUTS_COLLECTION)).toEqual(['b'.repeat(64)]);
    expect(await ids(MemoryCollection.episodes)).toEqual([]);

    const again = JSON.parse((await gc(['--older-than', '7d', '--json'])).stdout) as RetentionSweepResult;
    expect(Object.values(again.collections).map((counts) => counts.deleted)).toEqual(
      Object.values(again.collections).map(() => 0),
    );
  });

  test.each(['30x', '0d', 'soon', '-3d'])('--older-than %s is a one-line error with exit code 2', async (value) => {
    const run = await gc([`--older-than=${value}`]);
    expectOneLineError(
      run,
      new RegExp(
        `^chassis: --older-than "${value}" is not a duration: give a number and a unit \\(m, h, d or w\\), e\\.g\\. 30d, 12h or 90m\\n$`,
      ),
    );
  });

  test('a bad CHASSIS_RETENTION_DAYS is a one-line error with exit code 2, before anything is deleted', async () => {
    const run = await gc(['--dry-run'], { CHASSIS_RETENTION_DAYS: 'forever' });
    expectOneLineError(run, /^chassis: CHASSIS_RETENTION_DAYS is invalid: "forever" \(days to keep /);
  });

  test('an unreachable MongoDB is a one-line error with exit code 2 that does not print the password', async () => {
    const run = await gc(['--dry-run'], { MONGODB_URI: 'mongodb://gcuser:gc-secret-pw@127.0.0.1:1/' });
    expectOneLineError(
      run,
      /^chassis: cannot reach MongoDB at mongodb:\/\/gcuser:\*\*\*@127\.0\.0\.1:1\/: run "chassis dev up"/,
    );
    expect(run.stderr).not.toContain('gc-secret-pw');
  });
});
