import { randomUUID } from 'node:crypto';
import type { ListedTask } from '../../src/client/commands/list';
import { ChassisSession } from '../../src/contracts/search-attributes';
import { chassis, eventually } from './operations-support';
import { useScriptedStack } from '../support/scripted-stack';

// `chassis list` against the real dev server's visibility store; every query is limited to
// this file's task queue (--task-queue) so tests do not see each other's tasks.
const MODEL = 'gpt-4.1-mini';
// Single quotes must survive the query's string literal and cannot inject a clause. (Values
// holding `"` or `\\` are escaped too, but the dev server's SQLite visibility store never
// matches them, so they are not tested here.)
const QUOTED_SESSION = `o'brien' OR ChassisSession != '${randomUUID().slice(0, 6)}`;
const SESSION = `alpha-${randomUUID().slice(0, 6)}`;

const scripted = useScriptedStack({
  script: {
    rules: [
      { name: 'refuse', match: { lastUser: '^Fail' }, fault: { status: 401, message: 'no' } },
      { name: 'answer', reply: { content: 'ok' }, usage: { inputTokens: 1000, outputTokens: 500 } },
    ],
  },
});
const ids: Record<'completed' | 'failed' | 'other', string> = { completed: '', failed: '', other: '' };

beforeAll(async () => {
  const start = async (goal: string, session?: string) => {
    const handle = await scripted.stack.client.workflow.start('agentTaskWorkflow', {
      taskQueue: scripted.stack.taskQueue,
      workflowId: `list-test-${randomUUID()}`,
      args: [{ goal, model: MODEL, planning: 'direct', memory: false, ...(session ? { sessionId: session } : {}) }],
      ...(session ? { typedSearchAttributes: [{ key: ChassisSession, value: session }] } : {}),
    });
    await handle.result().catch(() => undefined);
    return handle.workflowId;
  };
  ids.completed = await start('Answer please.', SESSION);
  ids.failed = await start('Fail please.', QUOTED_SESSION);
  ids.other = await start('Answer again.');
});

async function list(...args: string[]): Promise<{ query: string; tasks: ListedTask[] }> {
  const run = await chassis(['list', '--task-queue', scripted.stack.taskQueue, '--json', ...args]);
  if (run.code !== 0) throw new Error(`chassis list failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { query: string; tasks: ListedTask[] };
}

/** Visibility is eventually consistent: wait until the listing has the expected ids. */
async function listIds(expected: string[], ...args: string[]): Promise<string[]> {
  return eventually(async () => {
    const found = (await list(...args)).tasks.map((task) => task.workflowId).sort();
    return JSON.stringify(found) === JSON.stringify([...expected].sort()) ? found : undefined;
  }).catch(async () => (await list(...args)).tasks.map((task) => task.workflowId).sort());
}

describe('chassis list', () => {
  test('every task of the queue, with status, cost, tokens and start time', async () => {
    expect(await listIds(Object.values(ids))).toEqual(Object.values(ids).sort());
    const { tasks, query } = await list();
    expect(query).toBe(`WorkflowType = 'agentTaskWorkflow' AND TaskQueue = '${scripted.stack.taskQueue}'`);
    const byId = new Map(tasks.map((task) => [task.workflowId, task]));
    expect(byId.get(ids.completed)).toMatchObject({
      status: 'completed',
      executionStatus: 'COMPLETED',
      session: SESSION,
      tokens: 1500,
      superseded: false,
    });
    expect(byId.get(ids.completed)?.costUsd).toBeGreaterThan(0);
    expect(byId.get(ids.failed)).toMatchObject({
      status: 'failed',
      executionStatus: 'FAILED',
      session: QUOTED_SESSION,
    });
    expect(Date.parse(byId.get(ids.other)?.startTime ?? '')).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  test('--status failed, --session (quotes escaped, no injection), --since', async () => {
    expect(await listIds([ids.failed], '--status', 'failed')).toEqual([ids.failed]);
    expect(await listIds([ids.completed, ids.other], '--status', 'completed')).toEqual(
      [ids.completed, ids.other].sort(),
    );
    expect(await listIds([ids.failed], '--session', QUOTED_SESSION)).toEqual([ids.failed]);
    expect(await listIds([ids.completed], '--session', SESSION, '--status', 'completed,failed')).toEqual([
      ids.completed,
    ]);
    expect((await list('--since', '1h')).tasks).toHaveLength(3);
    expect((await list('--since', '2999-01-01')).tasks).toHaveLength(0);
  });

  test('the table view, and bad filters are one-line errors (exit 2)', async () => {
    const table = await chassis(['list', '--task-queue', scripted.stack.taskQueue, '--status', 'failed']);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^WORKFLOW ID\s+STATUS\s+COST\s+TOKENS\s+STARTED$/);
    expect(row).toMatch(new RegExp(`^${ids.failed}\\s+failed\\s+\\$0\\.0000\\s+0\\s+\\d{4}-\\d{2}-\\d{2} `));
    const badStatus = await chassis(['list', '--status', 'exploded']);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain(
      "option '--status <statuses>' argument 'exploded' is invalid. use one or more of",
    );
    const badSince = await chassis(['list', '--since', 'yesterday']);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('use a duration such as 30m, 24h or 7d');
  });
});
