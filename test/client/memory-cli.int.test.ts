import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { chassis as runChassis, expectOneLineError, type CliRun } from './operations-support';

/** A database of this test file's own on the real MongoDB-wire server; the CLI reads it from MONGODB_DB. */
const DATABASE = `chassis_test_memory_cli_${randomBytes(4).toString('hex')}`;
let folder: string;

/** Runs the real CLI against this file's database, offline: the local hashed n-gram embedder. */
function chassis(args: string[], environment: Record<string, string> = {}): Promise<CliRun> {
  return runChassis(
    args,
    {
      MONGODB_DB: DATABASE,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      CHASSIS_EMBEDDER: '',
      CHASSIS_MEMORY_NAMESPACE: '',
      ...environment,
    },
    120_000,
  );
}

async function file(name: string, lines: unknown[] | string): Promise<string> {
  const target = path.join(folder, name);
  await writeFile(target, typeof lines === 'string' ? lines : lines.map((line) => JSON.stringify(line)).join('\n'));
  return target;
}

/** A small conversation: two sessions, speakers, dates; "c2" repeats the text of "c1". */
const TURNS = [
  {
    id: 'conv/D1:1',
    text: 'I finally adopted a rescue greyhound named Biscuit!',
    session: 's1',
    time: '2023-05-08T13:56:00Z',
    meta: { speaker: 'Ana' },
  },
  {
    id: 'conv/D1:2',
    text: 'Congratulations! How is she settling in?',
    session: 's1',
    time: '2023-05-08T13:56:00Z',
    meta: { speaker: 'Ben' },
  },
  {
    id: 'conv/D1:3',
    text: 'She sleeps on the sofa all day and steals socks.',
    session: 's1',
    time: '2023-05-08T13:56:00Z',
    meta: { speaker: 'Ana' },
  },
  {
    id: 'conv/D2:1',
    text: 'I ran my first half marathon in Lisbon last weekend.',
    session: 's2',
    time: '2023-10-15T09:00:00Z',
    meta: { speaker: 'Ben' },
  },
  { id: 'c1', text: 'Thanks, see you soon!', session: 's2', time: '2023-10-15T09:00:00Z' },
  { id: 'c2', text: 'Thanks, see you soon!', session: 's2', time: '2023-10-15T09:00:00Z' },
  { text: 'A note without an id.' },
  { text: 'A note without an id.' },
];

beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'chassis-memory-cli-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  const client = await MongoClient.connect(process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/');
  try {
    await client.db(DATABASE).dropDatabase();
  } finally {
    await client.close();
  }
});

describe('chassis memory against the real MongoDB-wire server', () => {
  test('import stores every record with an id, de-duplicates repeated texts without one, and says so', async () => {
    const input = await file('turns.jsonl', TURNS);
    const first = await chassis(['memory', 'import', input, '--namespace', 'talk']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^talk: 8 records read, 7 stored, 0 skipped \(already stored\), 1 de-duplicated .* in \d+\.\d s\n$/,
    );

    // Importing again stores nothing: records with ids are skipped, the id-less one is a duplicate.
    const again = await chassis(['memory', 'import', input, '--namespace', 'talk', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      namespace: 'talk',
      records: 8,
      stored: 0,
      alreadyStored: 6,
      duplicates: 2,
    });
  });

  test('search finds a turn by what its neighbours say, and returns the ids given at import', async () => {
    // "Biscuit" is only in D1:1; "sofa" only in D1:3. Asking about the greyhound's habits
    // finds D1:3 through its neighbour's words.
    const run = await chassis([
      'memory',
      'search',
      'what does the greyhound do all day',
      '--namespace',
      'talk',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const hits = JSON.parse(run.stdout) as Array<{ id: string; score: number; text: string; meta?: unknown }>;
    expect(hits.map((hit) => hit.id).slice(0, 2)).toEqual(expect.arrayContaining(['conv/D1:3']));
    expect(hits.find((hit) => hit.id === 'conv/D1:3')).toMatchObject({
      text: 'She sleeps on the sofa all day and steals socks.',
      meta: { speaker: 'Ana' },
    });

    const human = await chassis(['memory', 'search', 'half marathon', '--namespace', 'talk', '--k', '1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^ 1\. conv\/D2:1 {2}\(\d\.\d{4}\) {2}I ran my first half marathon in Lisbon last weekend\.\n$/,
    );
  });

  test('both records with a repeated text stay findable under their own ids', async () => {
    const run = await chassis(['memory', 'search', 'thanks see you soon', '--namespace', 'talk', '--json', '--k', '3']);
    expect(run.code).toBe(0);
    const ids = (JSON.parse(run.stdout) as Array<{ id: string }>).map((hit) => hit.id);
    expect(ids).toEqual(expect.arrayContaining(['c1', 'c2']));
  });

  test('search --batch prints one {id, results} line per query with the ids given at import', async () => {
    const queries = await file('queries.jsonl', [
      { id: 'q-dog', query: 'adopted rescue greyhound' },
      { id: 'q-run', query: 'half marathon Lisbon' },
    ]);
    const run = await chassis(['memory', 'search', '--batch', queries, '--namespace', 'talk', '--k', '2', '--json']);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; results: Array<{ id: string; score: number }> });
    expect(lines.map((line) => line.id)).toEqual(['q-dog', 'q-run']);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(['id', 'results']);
      expect(line.results).toHaveLength(2);
      for (const result of line.results) expect(Object.keys(result).sort()).toEqual(['id', 'score']);
    }
    expect(lines[0]?.results[0]?.id).toBe('conv/D1:1');
    expect(lines[1]?.results[0]?.id).toBe('conv/D2:1');
  });

  test('list shows the namespaces and their entries; delete removes documents, then the namespace', async () => {
    const namespaces = await chassis(['memory', 'list', '--json']);
    expect(namespaces.code).toBe(0);
    expect(JSON.parse(namespaces.stdout)).toEqual([
      expect.objectContaining({
        namespace: 'talk',
        entries: 7,
        embedder: { name: 'hashed-ngram-v1', dimensions: 256 },
      }),
    ]);
    const entries = await chassis(['memory', 'list', '--namespace', 'talk', '--json']);
    expect((JSON.parse(entries.stdout) as Array<{ documentId: string }>).map((entry) => entry.documentId)).toEqual(
      expect.arrayContaining(['conv/D1:1', 'conv/D1:2', 'conv/D1:3', 'conv/D2:1', 'c1', 'c2']),
    );

    const some = await chassis(['memory', 'delete', '--namespace', 'talk', '--id', 'c1', '--id', 'c2']);
    expect(some.code).toBe(0);
    expect(some.stdout).toBe('talk: deleted 2 entries of 2 documents\n');
    const after = await chassis(['memory', 'search', 'thanks see you soon', '--namespace', 'talk', '--json']);
    expect((JSON.parse(after.stdout) as Array<{ id: string }>).map((hit) => hit.id)).not.toEqual(
      expect.arrayContaining(['c1']),
    );

    const all = await chassis(['memory', 'delete', '--namespace', 'talk']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe('talk: deleted the namespace and its 5 entries\n');
    const gone = await chassis(['memory', 'list']);
    expect(gone.stdout).toMatch(/^no namespaces/);
  });

  test('a large file gets progress lines on stderr', async () => {
    const records = Array.from({ length: 2500 }, (_, index) => ({ id: `n${index}`, text: `note number ${index}` }));
    const run = await chassis(['memory', 'import', await file('large.jsonl', records), '--namespace', 'large']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('imported 1000/2500 records (40%)');
    expect(run.stderr).toContain('imported 2500/2500 records (100%)');
    expect(run.stdout).toMatch(/^large: 2500 records read, 2500 stored,/);
  });
});

describe('chassis memory: bad input is one line and exit code 2', () => {
  test('a line that is not JSON names the line', async () => {
    const bad = await file('not-json.jsonl', '{"text": "fine"}\n{"text": oops}\n');
    expectOneLineError(await chassis(['memory', 'import', bad]), /not-json\.jsonl: line 2 is not JSON/);
  });

  test('a record without text names the line and the field', async () => {
    const bad = await file('no-text.jsonl', [{ text: 'fine' }, { text: 'fine too' }, { id: 'x' }]);
    expectOneLineError(
      await chassis(['memory', 'import', bad]),
      /no-text\.jsonl: line 3: text .*each line needs "text"/,
    );
  });

  test('a bad time names the line', async () => {
    const bad = await file('bad-time.jsonl', [{ text: 'fine', time: 'last tuesday' }]);
    expectOneLineError(await chassis(['memory', 'import', bad]), /line 1: time must be an ISO 8601 time/);
  });

  test('a missing file, an empty file and a bad namespace are refused before anything is written', async () => {
    expectOneLineError(
      await chassis(['memory', 'import', path.join(folder, 'nope.jsonl')]),
      /cannot read import file .*no such file/,
    );
    expectOneLineError(await chassis(['memory', 'import', await file('empty.jsonl', '\n\n')]), /has no records/);
    expectOneLineError(
      await chassis(['memory', 'import', await file('ok.jsonl', [{ text: 'x' }]), '--namespace', 'no spaces']),
      /--namespace.*must be 1-100 letters/,
    );
  });

  test('a bad batch line names the line; a query and --batch together are refused', async () => {
    const bad = await file('bad-batch.jsonl', [{ id: 'a', query: 'fine' }, { id: 'b' }]);
    expectOneLineError(
      await chassis(['memory', 'search', '--batch', bad, '--json']),
      /line 2: query .*"id" and "query"/,
    );
    const good = await file('good-batch.jsonl', [{ id: 'a', query: 'fine' }]);
    expectOneLineError(await chassis(['memory', 'search', 'x', '--batch', good]), /either a query or --batch/);
    expectOneLineError(await chassis(['memory', 'search', '  ']), /search query is empty/);
    expectOneLineError(await chassis(['memory', 'search', 'x', '--k', '0']), /--k.*must be an integer from 1 to 1000/);
  });

  test('the recall benchmark takes its options after --, and names a missing data file', async () => {
    expectOneLineError(
      await chassis(['bench', 'memory-recall', '--', '--data', path.join(folder, 'no-locomo.json')]),
      /cannot read LoCoMo data from .*no-locomo\.json/,
    );
    expectOneLineError(await chassis(['bench', 'memory-recall', '--', '--bogus']), /memory-recall: .*--bogus/);
  });

  test('an unreachable database is one line, its password masked', async () => {
    const run = await chassis(['memory', 'search', 'anything'], {
      MONGODB_URI: 'mongodb://admin:hunter2@127.0.0.1:1/',
    });
    expectOneLineError(run, /cannot reach MongoDB at mongodb:\/\/admin:\*\*\*@127\.0\.0\.1:1\/: run "chassis dev up"/);
    expect(run.stderr).not.toContain('hunter2');
  });
});
