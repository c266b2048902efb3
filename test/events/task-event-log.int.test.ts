import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { FieldEncryption } from '../../src/codec/field-encryption';
import type { TaskEventInput } from '../../src/contracts/task-events';
import { EventBatcher } from '../../src/events/event-batcher';
import {
  EventLogPausedError,
  TASK_EVENTS_COLLECTION,
  TASK_EVENT_STREAMS_COLLECTION,
  TaskEventLog,
} from '../../src/events/task-event-log';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';

// The task event log on the real MongoDB-wire server (FerretDB here).

let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase('task_events');
});

afterAll(() => database.drop());

const token = (text: string, attempt = 1): TaskEventInput => ({ type: 'token', callId: 'run/1', attempt, text });

describe('TaskEventLog', () => {
  test('with the payload keys an event is sealed at rest: only its envelope is readable; readers with the keys get it back, readers without fail loudly', async () => {
    const fields = new FieldEncryption(
      new PayloadKeyring(parsePayloadKey(`k1:${randomBytes(32).toString('base64')}`, 'TEST_KEY')),
    );
    const writer = new TaskEventLog(database.db, { fields });
    const secret = 'the launch code is 4471';
    const [written] = await writer.append('task-sealed', [token(secret)]);
    const raw = await database.db.collection(TASK_EVENTS_COLLECTION).findOne({ streamId: 'task-sealed' });
    expect(JSON.stringify(raw)).not.toContain('launch code');
    expect(Object.keys(raw ?? {}).sort()).toEqual([
      '_id',
      'at',
      'expiresAt',
      'sealed',
      'sequence',
      'streamId',
      'workflowId',
    ]);
    expect(await new TaskEventLog(database.db, { fields }).readAfter('task-sealed', 0)).toEqual([written]);
    expect(written).toMatchObject({ type: 'token', text: secret, sequence: 1, workflowId: 'task-sealed' });
    await expect(new TaskEventLog(database.db).readAfter('task-sealed', 0)).rejects.toThrow(/key/i);
  });

  test('a task and its subtasks append to one stream, numbered 1, 2, 3… without gaps, even when they write at once', async () => {
    const log = new TaskEventLog(database.db);
    const writers = ['task-a', 'task-a/research', 'task-a/research/deeper', 'task-a/write'];
    await Promise.all(
      writers.map(async (workflowId) => {
        for (let round = 0; round < 5; round++)
          await log.append(workflowId, [token(`${workflowId}:${round}:x`), token('y')]);
      }),
    );
    const events = await log.readAfter('task-a', 0);
    expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    // Each writer's events keep their order within the stream.
    for (const workflowId of writers) {
      const own = events.filter((event) => event.workflowId === workflowId && event.type === 'token');
      expect(
        own
          .filter((event) => event.type === 'token' && event.text !== 'y')
          .map((event) => (event.type === 'token' ? event.text : '')),
      ).toEqual([0, 1, 2, 3, 4].map((round) => `${workflowId}:${round}:x`));
    }
    expect(await log.lastSequence('task-a')).toBe(40);
    // Another task's stream is its own.
    await log.append('task-b', [token('other')]);
    expect((await log.readAfter('task-b', 0)).map((event) => event.sequence)).toEqual([1]);
  });

  test('two processes writing to one stream (each remembering its own last sequence) still number it without gaps', async () => {
    const first = new TaskEventLog(database.db);
    const second = new TaskEventLog(database.db);
    for (let round = 0; round < 4; round++) {
      await first.append('task-two', [token(`first ${round}`)]);
      await second.append('task-two/part', [token(`second ${round}`), token('more')]);
    }
    await Promise.all([first.append('task-two', [token('a')]), second.append('task-two', [token('b')])]);
    const events = await first.readAfter('task-two', 0);
    expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: 14 }, (_, index) => index + 1));
    expect(events.slice(0, 3).map((event) => (event.type === 'token' ? event.text : ''))).toEqual([
      'first 0',
      'second 0',
      'more',
    ]);
  });

  test('readAfter returns what follows a sequence, in pages', async () => {
    const log = new TaskEventLog(database.db);
    await log.append(
      'task-pages',
      Array.from({ length: 12 }, (_, index) => token(String(index))),
    );
    expect((await log.readAfter('task-pages', 7)).map((event) => event.sequence)).toEqual([8, 9, 10, 11, 12]);
    expect((await log.readAfter('task-pages', 0, 5)).map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
    const [first] = await log.readAfter('task-pages', 0, 1);
    expect(first).toEqual({
      type: 'token',
      callId: 'run/1',
      attempt: 1,
      text: '0',
      sequence: 1,
      workflowId: 'task-pages',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  test('announce is true for exactly one of many writers of the same workflow', async () => {
    const log = new TaskEventLog(database.db);
    const answers = await Promise.all(Array.from({ length: 6 }, () => log.announce('task-c/part')));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await log.announce('task-c/part')).toBe(false);
    expect(await log.announce('task-c/other')).toBe(true);
  });

  test('streams expire: an expired stream reads empty and is swept when a new stream starts', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const log = new TaskEventLog(database.db, { retentionMs: 60_000, now: () => now, sweepIntervalMs: 0 });
    await log.append('task-old', [token('a'), token('b')]);
    expect(await log.readAfter('task-old', 0)).toHaveLength(2);
    now = new Date(now.getTime() + 61_000);
    expect(await log.readAfter('task-old', 0)).toEqual([]);
    // The first append of a new stream sweeps (FerretDB has no TTL indexes).
    await log.append('task-new', [token('c')]);
    expect(await database.db.collection(TASK_EVENTS_COLLECTION).countDocuments({ streamId: 'task-old' })).toBe(0);
    // Its head went with it.
    expect(
      await database.db.collection<{ _id: string }>(TASK_EVENT_STREAMS_COLLECTION).countDocuments({ _id: 'task-old' }),
    ).toBe(0);
    expect(await log.readAfter('task-new', 0)).toHaveLength(1);
  });

  test('after a failed write, publishing pauses instead of waiting on the database for every call', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    const log = new TaskEventLog(client.db('unreachable'), { pauseAfterFailureMs: 60_000 });
    await expect(log.append('task-d', [token('x')])).rejects.toThrow(/ECONNREFUSED|Server selection timed out/);
    await expect(log.append('task-d', [token('y')])).rejects.toBeInstanceOf(EventLogPausedError);
    await client.close();
  });
});

describe('TaskEventLog stream heads', () => {
  const sequencesOf = async (log: TaskEventLog, streamId: string) =>
    (await log.readAfter(streamId, 0)).map((event) => event.sequence);
  const heads = () => database.db.collection<{ _id: string; last?: number }>(TASK_EVENT_STREAMS_COLLECTION);

  test('a writer new to a stream starts after its head, without reading the stream; a new stream starts at 1', async () => {
    const first = new TaskEventLog(database.db);
    await first.append('task-h', [token('a'), token('b'), token('c')]);
    // The head moves off the append's path.
    await first.settled();
    expect((await heads().findOne({ _id: 'task-h' }))?.last).toBe(3);
    const second = new TaskEventLog(database.db);
    const readsStream = jest.spyOn(second, 'lastSequence');
    const [next] = await second.append('task-h/part', [token('d')]);
    const [fresh] = await second.append('task-h-fresh', [token('e')]);
    expect(next?.sequence).toBe(4);
    expect(fresh?.sequence).toBe(1);
    expect(readsStream).not.toHaveBeenCalled();
    expect(await sequencesOf(first, 'task-h')).toEqual([1, 2, 3, 4]);
  });

  test('a head left behind (a lost update, a writer of an older version) costs rounds, never a gap or a duplicate', async () => {
    const first = new TaskEventLog(database.db);
    await first.append('task-lag', [token('1'), token('2'), token('3'), token('4'), token('5')]);
    await first.settled();
    await heads().updateOne({ _id: 'task-lag' }, { $set: { last: 2 } });
    const second = new TaskEventLog(database.db);
    const written = await second.append('task-lag', [token('6'), token('7')]);
    await second.settled();
    expect(written.map((event) => event.sequence)).toEqual([6, 7]);
    expect(await sequencesOf(first, 'task-lag')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await heads().findOne({ _id: 'task-lag' }))?.last).toBe(7);
    // A stream with events and no head at all (its writer died before the head moved) is not restarted either.
    await heads().deleteOne({ _id: 'task-lag' });
    const [after] = await new TaskEventLog(database.db).append('task-lag', [token('8')]);
    expect(after?.sequence).toBe(8);
  });
});

describe('TaskEventLog stream heads for events written before heads existed', () => {
  let legacy: TestDatabase;

  beforeAll(async () => {
    legacy = await openTestDatabase('task_events_legacy');
  });

  afterAll(() => legacy.drop());

  test('the first writer gives every stream a head once; a stream whose first events expired goes on after its last', async () => {
    const old = new TaskEventLog(legacy.db);
    await old.append('task-legacy', [token('1'), token('2'), token('3'), token('4')]);
    await old.append('task-other', [token('1'), token('2')]);
    await old.settled();
    // As an older Chassis left them: no heads, and the stream's first events swept.
    await legacy.db.collection(TASK_EVENT_STREAMS_COLLECTION).drop();
    await legacy.db.collection(TASK_EVENTS_COLLECTION).deleteMany({ streamId: 'task-legacy', sequence: { $lte: 2 } });
    const writer = new TaskEventLog(legacy.db);
    const [next] = await writer.append('task-legacy', [token('5')]);
    await writer.settled();
    expect(next?.sequence).toBe(5);
    const stored = await legacy.db
      .collection<{ _id: string; last?: number }>(TASK_EVENT_STREAMS_COLLECTION)
      .find({}, { sort: { _id: 1 } })
      .toArray();
    expect(stored.map((head) => [head._id, head.last])).toEqual([
      ['chassis:heads-complete', undefined],
      ['task-legacy', 5],
      ['task-other', 2],
    ]);
    // From now on a stream without a head is new, and is not read.
    const readsStream = jest.spyOn(writer, 'lastSequence');
    const [fresh] = await writer.append('task-after', [token('x')]);
    expect(fresh?.sequence).toBe(1);
    expect(readsStream).not.toHaveBeenCalled();
  });
});

describe('EventBatcher', () => {
  test('merges consecutive token deltas of one call attempt and writes in batches, in order', async () => {
    const log = new TaskEventLog(database.db);
    const batcher = new EventBatcher(log, 'task-batch', { flushIntervalMs: 60_000 });
    batcher.push({ type: 'step', callId: 'run/1', attempt: 1, label: 'step 1', model: 'm' });
    for (const word of ['Hello ', 'there, ', 'world.']) batcher.push(token(word));
    // A new attempt of the same call is kept apart: its text supersedes the old one's.
    batcher.push(token('Hello', 2));
    batcher.push({ type: 'answer', callId: 'run/1', attempt: 2, text: 'Hello' });
    expect(await log.readAfter('task-batch', 0)).toEqual([]);
    await batcher.close();
    const events = await log.readAfter('task-batch', 0);
    expect(events.map((event) => [event.type, event.type === 'token' ? event.text : ''])).toEqual([
      ['step', ''],
      ['token', 'Hello there, world.'],
      ['token', 'Hello'],
      ['answer', ''],
    ]);
  });

  test('writes on its own after the flush interval', async () => {
    const log = new TaskEventLog(database.db);
    const batcher = new EventBatcher(log, 'task-timer', { flushIntervalMs: 20 });
    batcher.push(token('soon'));
    for (let waited = 0; (await log.readAfter('task-timer', 0)).length === 0 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await log.readAfter('task-timer', 0)).map((event) => event.type)).toEqual(['token']);
    await batcher.close();
  });

  test('a failed write is reported once and never thrown; later events of the writer are dropped', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    const warnings: string[] = [];
    const batcher = new EventBatcher(new TaskEventLog(client.db('unreachable')), 'task-e', {
      warn: (message) => warnings.push(message),
    });
    batcher.push(token('lost'));
    await batcher.flush();
    batcher.push(token('also lost'));
    await batcher.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/task events of task-e could not be published .*the task goes on/);
    await client.close();
  });
});
