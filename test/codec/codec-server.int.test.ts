import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { MongoClient, type Db } from 'mongodb';
import { CodecServerSetupError, startCodecServer, type CodecServer } from '../../src/codec/codec-server';
import { createPayloadCodecs } from '../../src/codec/data-converter';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
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

/** One request over node:http, which (unlike fetch) lets a test set any Host header. */
function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/decode',
        headers: options.headers,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    // The server may answer (413) and close before the whole body is sent.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    request.end(options.body);
  });
}

describe('chassis codec server: the doors a browser page or a network neighbour could use', () => {
  const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload('x'))] });
  const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

  test('on a public interface without a token it refuses to start', async () => {
    await expect(startCodecServer({ codecs: [], port: 0, host: '0.0.0.0', allowedOrigins: [UI] })).rejects.toThrow(
      CodecServerSetupError,
    );
    await expect(startCodecServer({ codecs: [], port: 0, host: '0.0.0.0', allowedOrigins: [UI] })).rejects.toThrow(
      /without a token: set CHASSIS_CODEC_SERVER_TOKEN/,
    );
  });

  test('a Host header that does not name the server is refused (DNS rebinding); its own names pass', async () => {
    const named = await startCodecServer({
      codecs: [],
      port: 0,
      allowedOrigins: [UI],
      publicNames: ['codec.example.test'],
    });
    try {
      const withHost = (host: string) =>
        rawRequest(named.port, { path: '/encode', headers: { 'content-type': 'application/json', host }, body });
      const rebound = await withHost(`rebind.attacker.test:${named.port}`);
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body)).toEqual({
        error: 'the Host header does not name this server: use localhost, or start it with --public-name',
      });
      expect((await withHost('127.0.0.1.nip.io')).status).toBe(403);
      for (const host of [
        `localhost:${named.port}`,
        `127.0.0.1:${named.port}`,
        `[::1]:${named.port}`,
        'codec.example.test',
      ]) {
        const answer = await withHost(host);
        expect({ host, status: answer.status }).toEqual({ host, status: 200 });
      }
    } finally {
      await named.close();
    }
  });

  test('/encode and /decode accept only application/json (415 otherwise), with the token', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      for (const route of ['/encode', '/decode']) {
        const answer = await rawRequest(server.port, {
          path: route,
          headers: { ...json, 'content-type': contentType },
          body,
        });
        expect({ route, contentType, status: answer.status }).toEqual({ route, contentType, status: 415 });
      }
    }
    const missing = await rawRequest(server.port, { headers: { authorization: `Bearer ${TOKEN}` }, body });
    expect(missing.status).toBe(415);
    const withCharset = await rawRequest(server.port, {
      headers: { ...json, 'content-type': 'application/json; charset=utf-8' },
      body,
    });
    expect(withCharset.status).toBe(200);
    // The token is checked first: without it, no content type gets anywhere.
    expect((await rawRequest(server.port, { headers: { 'content-type': 'text/plain' }, body })).status).toBe(401);
  });

  test('a body over the limit is 413, whether its length is declared or streamed', async () => {
    const small = await startCodecServer({
      codecs: [],
      port: 0,
      allowedOrigins: [UI],
      maxEncodeBytes: 1024,
      maxDecodeBytes: 2048,
    });
    try {
      const big = JSON.stringify({ payloads: [{ metadata: {}, data: 'A'.repeat(1500) }] });
      const encode = await rawRequest(small.port, {
        path: '/encode',
        headers: { 'content-type': 'application/json' },
        body: big,
      });
      expect(encode.status).toBe(413);
      expect(JSON.parse(encode.body)).toEqual({ error: 'request body over 1024 bytes' });
      // The same body fits the decode limit.
      expect(
        (await rawRequest(small.port, { path: '/decode', headers: { 'content-type': 'application/json' }, body: big }))
          .status,
      ).toBe(200);
      const chunked = await rawRequest(small.port, {
        path: '/decode',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        body: JSON.stringify({ payloads: [{ metadata: {}, data: 'A'.repeat(5000) }] }),
      });
      expect(chunked.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  test("CORS headers go to the UI's origin only; a post from any other origin is refused", async () => {
    const fromUi = await rawRequest(server.port, { headers: { ...json, origin: UI }, body });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers['access-control-allow-origin']).toBe(UI);
    const fromElsewhere = await rawRequest(server.port, { headers: { ...json, origin: 'http://evil.example' }, body });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.headers['access-control-allow-origin']).toBeUndefined();
    const noOrigin = await rawRequest(server.port, { headers: json, body });
    expect(noOrigin.status).toBe(200);
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('on loopback no token is needed', async () => {
    const open = await startCodecServer({ codecs: [], port: 0, allowedOrigins: [UI] });
    try {
      expect((await rawRequest(open.port, { headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

/** Starts `chassis codec-server` and waits for its "codec server on" line. */
async function startCommand(
  args: string[],
  environment: Record<string, string>,
): Promise<{
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}> {
  const child = spawn(process.execPath, [...cliEntry(), 'codec-server', ...args], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, MONGODB_DB: db.databaseName, CHASSIS_DEBUG: '', ...environment },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "codec server on" line within 30 s: ${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Resolved once the last line of the start-up notes is out.
      const found = /codec server on (http:\/\/\S+):[\s\S]*Ctrl-C to stop/.exec(stderr);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
  });
  return { child, url, stderr: () => stderr, exited };
}

describe('chassis codec-server, the command', () => {
  test('serves the chain configured by the environment until SIGTERM, without echoing the key', async () => {
    const key = randomBytes(32).toString('base64');
    const {
      child,
      url,
      stderr: output,
      exited,
    } = await startCommand(['--port', '0'], {
      CHASSIS_PAYLOAD_KEY: key,
      CHASSIS_CODEC_SERVER_TOKEN: TOKEN,
    });
    const stderr = output();
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

  test('on 0.0.0.0 without CHASSIS_CODEC_SERVER_TOKEN it makes a token, prints it once, and requires it', async () => {
    const environment = { CHASSIS_CODEC_SERVER_TOKEN: '', CHASSIS_PAYLOAD_KEY: '' };
    const { child, url, stderr, exited } = await startCommand(['--port', '0', '--host', '0.0.0.0'], environment);
    try {
      const token = /generated bearer token \(CHASSIS_CODEC_SERVER_TOKEN is not set\): (\S+)/.exec(stderr())?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(stderr().split(token as string)).toHaveLength(2);
      const port = Number(new URL(url).port);
      const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload('x'))] });
      const call = (authorization: string) =>
        rawRequest(port, { headers: { 'content-type': 'application/json', authorization }, body });
      expect((await call('')).status).toBe(401);
      expect((await call('Bearer wrong')).status).toBe(401);
      expect((await call(`Bearer ${token}`)).status).toBe(200);
      expect(stderr()).toContain('bearer token required');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
