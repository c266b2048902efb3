import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { MongoClient, type Db } from 'mongodb';
import { startCodecServer, type CodecServer } from '../../src/codec/codec-server';
import { createPayloadCodecs } from '../../src/codec/data-converter';
import { parsePayloadKey, PayloadKeyring } from '../../src/codec/encryption-keys';
import { cliEntry } from '../client/operations-support';

// The codec server over plain HTTP, with the real MongoDB-wire server behind the claim check.
const UI = 'http://localhost:8233';
const TOKEN = `token-${randomUUID()}`;

let mongo: MongoClient;
let db: Db;
let server: CodecServer;
let keyring: PayloadKeyring;

beforeAll(async () => {
  mongo = await MongoClient.connect(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/', {
    serverSelectionTimeoutMS: 10_000,
  });
  db = mongo.db(`chassis_test_codec_server_${randomUUID().slice(0, 8)}`);
  keyring = new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'K'));
  server = await startCodecServer({
    codecs: createPayloadCodecs({ db, claimCheckThresholdBytes: 1024, keyring }),
    port: 0,
    allowedOrigins: [UI],
    token: TOKEN,
  });
});

afterAll(async () => {
  await server?.close();
  await db?.dropDatabase();
  await mongo?.close();
});

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const fromJson = (json: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(json.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(json.data, 'base64'),
});

function post(route: string, payloads: Payload[], headers: Record<string, string> = {}) {
  return fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Namespace': 'default',
      Origin: UI,
      Authorization: `Bearer ${TOKEN}`,
      ...headers,
    },
    body: JSON.stringify({ payloads: payloads.map(toJson) }),
  });
}

describe('chassis codec server (Temporal remote codec protocol)', () => {
  test('encode then decode round-trips, through the claim check and the encryption', async () => {
    const small = defaultPayloadConverter.toPayload({ question: 'What is 6 * 7?' });
    const large = defaultPayloadConverter.toPayload({ context: 'SECRET '.repeat(2000) });
    const encodedResponse = await post('/encode', [small, large]);
    expect(encodedResponse.status).toBe(200);
    const encoded = (await encodedResponse.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    expect(encoded.payloads).toHaveLength(2);
    for (const payload of encoded.payloads) {
      expect(Buffer.from(payload.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(payload.data, 'base64').toString('latin1')).not.toContain('SECRET');
    }
    // The claim-checked one is small on the wire.
    expect(Buffer.from(encoded.payloads[1]?.data ?? '', 'base64').length).toBeLessThan(400);

    const decodedResponse = await post('/default/decode', encoded.payloads.map(fromJson));
    expect(decodedResponse.status).toBe(200);
    expect(decodedResponse.headers.get('access-control-allow-origin')).toBe(UI);
    const decoded = (await decodedResponse.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    expect(decoded.payloads.map((payload) => defaultPayloadConverter.fromPayload(fromJson(payload)))).toEqual([
      { question: 'What is 6 * 7?' },
      { context: 'SECRET '.repeat(2000) },
    ]);
  });

  test("CORS preflight for the UI's origin allows X-Namespace and Authorization; other origins get no CORS headers", async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');

    const other = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a missing or wrong bearer token is 401; errors are JSON with a message', async () => {
    const payload = defaultPayloadConverter.toPayload('x');
    expect((await post('/decode', [payload], { Authorization: '' })).status).toBe(401);
    expect((await post('/decode', [payload], { Authorization: 'Bearer nope' })).status).toBe(401);

    const notJson = await fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: 'not json',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'the body is not JSON: send {"payloads": [...]}' });

    const missingBlob = {
      metadata: { encoding: Buffer.from('binary/chassis-claim-check') },
      data: Buffer.from(JSON.stringify({ id: 'sha256:0000', bytes: 10 })),
    };
    const unreadable = await post('/decode', [missingBlob]);
    expect(unreadable.status).toBe(422);
    expect(((await unreadable.json()) as { error: string }).error).toMatch(
      /claim-checked payload sha256:0000 .* is missing/,
    );

    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await post('/nope/nope/decode', [payload])).status).toBe(404);
  });
});

describe('chassis codec-server, the command', () => {
  test('serves the chain configured by the environment until SIGTERM, without echoing the key', async () => {
    const key = randomBytes(32).toString('base64');
    const child = spawn(process.execPath, [...cliEntry(), 'codec-server', '--port', '0'], {
      cwd: path.join(__dirname, '..', '..'),
      env: {
        ...process.env,
        CHASSIS_PAYLOAD_KEY: key,
        CHASSIS_CODEC_SERVER_TOKEN: TOKEN,
        MONGODB_DB: db.databaseName,
        CHASSIS_DEBUG: '',
      },
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "codec server on" line within 30 s: ${stderr}`)), 30_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /codec server on (http:\/\/\S+):/.exec(stderr);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const call = (route: string, payloads: unknown[]) =>
        fetch(`${url}${route}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ payloads }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as { payloads: [] } }));
      const value = toJson(defaultPayloadConverter.toPayload({ note: 'through the command' }));
      const encoded = await call('/encode', [value]);
      expect(encoded.status).toBe(200);
      const decoded = await call('/decode', encoded.body.payloads);
      expect(decoded.body.payloads).toEqual([value]);
      expect(stderr).toContain('claim check on (payloads >= 8192 bytes), encryption on (keys k-');
      expect(stderr).toContain('bearer token required');
      expect(stderr).not.toContain(key);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
