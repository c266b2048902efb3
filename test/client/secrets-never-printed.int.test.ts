import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchmarkMongoLocation, describeBenchmarkServers, mongoUnreachableError } from '../../bench/support/header';
import { writeBenchmarkResult } from '../../bench/support/results';
import { printTable } from '../../bench/support/table';
import { loadConfig } from '../../src/config';
import { chassis, cliEntry, type CliRun } from './operations-support';

// Every way the CLI and the benchmarks report on MongoDB, with a password in MONGODB_URI
// and keys in the environment: none of them may show up in anything printed.
const PASSWORD = `Pw-${randomUUID().slice(0, 12)}`;
// "%2F" is "/" escaped: the decoded form must not leak either.
const ESCAPED_PASSWORD = `${PASSWORD}%2Fx`;
const API_KEY = `sk-test-${randomUUID()}`;
const PAYLOAD_KEY = randomBytes(32).toString('base64');
const CODEC_TOKEN = `codec-${randomUUID()}`;
const SECRETS = [PASSWORD, ESCAPED_PASSWORD, `${PASSWORD}/x`, API_KEY, PAYLOAD_KEY, CODEC_TOKEN];

const uri = (host: string) => `mongodb://admin:${ESCAPED_PASSWORD}@${host}/`;
const home = mkdtempSync(path.join(os.tmpdir(), 'chassis-secrets-'));
const environment = (mongoUri: string): Record<string, string> => ({
  MONGODB_URI: mongoUri,
  OPENAI_API_KEY: API_KEY,
  CHASSIS_PAYLOAD_KEY: PAYLOAD_KEY,
  CHASSIS_CODEC_SERVER_TOKEN: CODEC_TOKEN,
  // An external Temporal: nothing here may start or stop the shared servers.
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  CHASSIS_TASK_QUEUE: `secrets-${randomUUID().slice(0, 8)}`,
  CHASSIS_HOME: home,
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

function expectNoSecret(label: string, output: string): void {
  for (const secret of SECRETS) {
    expect({ label, leaked: output.includes(secret) ? secret : undefined }).toEqual({ label, leaked: undefined });
  }
}

function expectClean(label: string, run: CliRun): void {
  expectNoSecret(label, `${run.stdout}\n${run.stderr}`);
}

describe('secrets never printed: the CLI', () => {
  test('an invalid MONGODB_URI is named without its password', async () => {
    const run = await chassis(['run', 'x'], environment(uri('db host:27017')));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'chassis: MONGODB_URI is not a valid mongodb:// URI: "mongodb://admin:***@db host:27017/" (Invalid URL)\n',
    );
    expectClean('invalid URI', run);
  });

  test('dev status, text and JSON, with an unreachable server and with one that refuses the login', async () => {
    for (const host of ['127.0.0.1:1', '127.0.0.1:27017']) {
      const text = await chassis(['dev', 'status'], environment(uri(host)));
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`mongodb://admin:***@${host}/`);
      expectClean(`dev status ${host}`, text);
      const json = await chassis(['dev', 'status', '--json'], environment(uri(host)));
      const mongo = (
        JSON.parse(json.stdout) as { services: { name: string; address: string; problem?: string }[] }
      ).services.find((service) => service.name === 'mongo');
      expect(mongo).toMatchObject({ address: `mongodb://admin:***@${host}/`, problem: expect.any(String) });
      expectClean(`dev status --json ${host}`, json);
    }
  });

  test('dev up with an unreachable external server fails in one line, masked', async () => {
    const run = await chassis(['dev', 'up'], environment(uri('127.0.0.1:1')));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'MONGODB_URI points at mongodb://admin:***@127.0.0.1:1/, but no MongoDB server answers',
    );
    expectClean('dev up', run);
  });

  test('run with no worker polling the queue', async () => {
    const run = await chassis(['run', 'what is 2 + 2?'], environment(uri('127.0.0.1:1')));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^chassis: no worker is polling task queue "secrets-/);
    expectClean('run without worker', run);
  });

  test('a worker starting with an unreachable database logs no secret', async () => {
    const child = spawn(process.execPath, [...cliEntry(), 'worker'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, ...environment(uri('127.0.0.1:1')), CHASSIS_DEBUG: '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const polling = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the worker did not start within 90 s: ${output}`)), 90_000);
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('worker polling task queue')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await polling;
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    // The worker waits for the database and says so, naming it by host only.
    expect(output).toContain('waiting for MongoDB at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1)');
    expectNoSecret('worker', output);
  }, 120_000);
});

describe('secrets never printed: the benchmarks', () => {
  const config = loadConfig(environment(uri('db.example:27017')), '/project');

  test('the header and the unreachable-database error mask the URI', () => {
    expect(benchmarkMongoLocation(config)).toBe('mongodb://admin:***@db.example:27017/');
    expect(describeBenchmarkServers(config)).toMatch(
      /^Temporal: 127\.0\.0\.1:7233; MongoDB: mongodb:\/\/admin:\*\*\*@db/,
    );
    const error = mongoUnreachableError(config, new Error('getaddrinfo ENOTFOUND db.example'));
    expect(error.message).toMatch(
      /^cannot reach MongoDB at mongodb:\/\/admin:\*\*\*@db\.example:27017\/ \(getaddrinfo/,
    );
    expectNoSecret('header', `${describeBenchmarkServers(config)}\n${error.message}`);
  });

  test('tables and result files mask a URI even when a benchmark puts it there raw', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const resultsDirectory = mkdtempSync(path.join(os.tmpdir(), 'chassis-bench-results-'));
    const previous = process.env.CHASSIS_BENCH_RESULTS_DIR;
    process.env.CHASSIS_BENCH_RESULTS_DIR = resultsDirectory;
    try {
      printTable({ title: [`on ${config.mongo.uri}`], headers: ['a'], rows: [[1]] });
      const file = writeBenchmarkResult('secrets-check', { mongoUri: config.mongo.uri });
      const saved = readFileSync(file, 'utf8');
      expect(saved).toContain('mongodb://admin:***@db.example:27017/');
      expectNoSecret('result file', saved);
    } finally {
      spy.mockRestore();
      if (previous === undefined) delete process.env.CHASSIS_BENCH_RESULTS_DIR;
      else process.env.CHASSIS_BENCH_RESULTS_DIR = previous;
      rmSync(resultsDirectory, { recursive: true, force: true });
    }
    expect(written.join('')).toContain('on mongodb://admin:***@db.example:27017/');
    expectNoSecret('table', written.join(''));
  });

  test('chassis bench memory against an unreachable database prints the masked URI', async () => {
    const run = await chassis(['bench', 'memory'], environment(uri('127.0.0.1:1')));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chassis: cannot reach MongoDB at mongodb:\/\/admin:\*\*\*@127\.0\.0\.1:1\/ /);
    expectClean('bench memory', run);
  });
});
