import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpFetchTool } from '../../../src/tools/builtin';
import { ToolRegistry } from '../../../src/tools/registry';
import type { Tool } from '../../../src/tools/tool';
import { PermanentToolError, TransientToolError } from '../../../src/tools/tool-errors';
import { ToolRunner } from '../../../src/tools/tool-runner';
import { openTestDatabase, type TestDatabase } from '../../../src/testing/test-database';

// A real HTTP server on 127.0.0.1; `localhost` reaches the same server under a host that is not allowed.
let server: http.Server;
let port: number;
let base: string;
const hits: string[] = [];
const idempotencyKeys: (string | undefined)[] = [];
let database: TestDatabase;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    hits.push(url);
    idempotencyKeys.push(request.headers['idempotency-key'] as string | undefined);
    switch (url) {
      case '/page':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          '<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head>' +
            '<body><h1>Chassis</h1><p>A durable <a href="/x">harness</a>.</p><img src="a.png"></body></html>',
        );
        return;
      case '/data.json':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"answer":42}');
        return;
      case '/big': {
        response.writeHead(200, { 'content-type': 'text/plain' });
        // 200 KB in 1 KB chunks: the tool must stop reading at its limit.
        let sent = 0;
        const sendMore = () => {
          while (sent < 200 && response.write('y'.repeat(1023) + '\n')) sent++;
          if (sent < 200) response.once('drain', sendMore);
          else response.end();
        };
        sendMore();
        return;
      }
      case '/unavailable':
        response.writeHead(503, { 'retry-after': '2' });
        response.end('down');
        return;
      case '/missing':
        response.writeHead(404);
        response.end('no');
        return;
      case '/image':
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(Buffer.alloc(10));
        return;
      case '/redirect-out':
        response.writeHead(302, { location: `http://localhost:${port}/page` });
        response.end();
        return;
      case '/redirect-in':
        response.writeHead(301, { location: '/data.json' });
        response.end();
        return;
      case '/hang':
        return; // never answers
      default:
        response.writeHead(404);
        response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  database = await openTestDatabase('http_fetch');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await database.drop();
});

// The server is on loopback, which http_fetch refuses unless allowed (http-fetch-addresses.int.test.ts).
function fetchTool(options: { maxBytes?: number; timeoutMs?: number } = {}): Tool {
  return createHttpFetchTool({ allowedHosts: [`127.0.0.1:${port}`], allowPrivateAddresses: true, ...options }) as Tool;
}

const heartbeats: unknown[] = [];
const context = {
  idempotencyKey: 'wf-1/step-1/call-1',
  signal: new AbortController().signal,
  heartbeat: (d?: unknown) => heartbeats.push(d),
};

async function fetchText(url: string, tool: Tool = fetchTool()): Promise<string> {
  return tool.execute({ url }, context);
}

async function failure(url: string, tool: Tool = fetchTool()): Promise<Error> {
  return tool.execute({ url }, context).then(
    () => {
      throw new Error(`expected ${url} to fail`);
    },
    (error: Error) => error,
  );
}

describe('http_fetch', () => {
  test('sends the call’s idempotency key as an Idempotency-Key header', async () => {
    idempotencyKeys.length = 0;
    await fetchText(`${base}/data.json`);
    expect(idempotencyKeys).toEqual(['wf-1/step-1/call-1']);
  });

  test('HTML is converted to text without scripts, styles or images', async () => {
    const text = await fetchText(`${base}/page`);
    expect(text).toBe(
      `URL: ${base}/page\nStatus: 200\nContent-Type: text/html; charset=utf-8\n\nCHASSIS\n\nA durable harness.`,
    );
  });

  test('JSON comes back as-is, and redirects within the allow-list are followed', async () => {
    expect(await fetchText(`${base}/redirect-in`)).toMatch(/^URL: .*\/data\.json\n[\s\S]*\n\n\{"answer":42\}$/);
  });

  test('hosts off the allow-list are refused without a request, redirects included', async () => {
    const before = hits.length;
    const refused = await failure(`http://localhost:${port}/page`);
    expect(refused).toBeInstanceOf(PermanentToolError);
    expect(refused.message).toBe(`host localhost:${port} is not allowed; allowed hosts: 127.0.0.1:${port}`);
    expect(hits.length).toBe(before);
    const redirected = await failure(`${base}/redirect-out`);
    expect(redirected.message).toMatch(/host localhost:\d+ is not allowed \(redirected from .*\/redirect-out\)/);
  });

  test('bodies over the size limit are cut and say so; downloads heartbeat', async () => {
    heartbeats.length = 0;
    const text = await fetchText(`${base}/big`, fetchTool({ maxBytes: 150_000 }));
    expect(text).toContain('Truncated: only the first 150000 bytes were read');
    expect(text.split('\n\n').slice(1).join('\n\n')).toHaveLength(150_000);
    expect(heartbeats.length).toBeGreaterThan(1);
    expect(heartbeats.at(-1)).toMatchObject({ bytes: expect.any(Number) });
  });

  test('5xx is transient (Retry-After kept for the engine); 4xx is permanent', async () => {
    const unavailable = await failure(`${base}/unavailable`);
    expect(unavailable).toBeInstanceOf(TransientToolError);
    expect(unavailable.message).toBe(`GET ${base}/unavailable answered 503 Service Unavailable`);
    expect((unavailable as TransientToolError).retryAfterMs).toBe(2_000);
    const missing = await failure(`${base}/missing`);
    expect(missing).toBeInstanceOf(PermanentToolError);
    expect(missing.message).toMatch(/answered 404 Not Found: check the URL/);
  });

  test('a server that does not answer in time is a transient timeout', async () => {
    const timedOut = await failure(`${base}/hang`, fetchTool({ timeoutMs: 300 }));
    expect(timedOut).toBeInstanceOf(TransientToolError);
    expect(timedOut.message).toBe(`GET ${base}/hang timed out after 300 ms`);
  });

  test('a refused connection is transient; non-text content is permanent', async () => {
    const closed = createHttpFetchTool({ allowedHosts: ['127.0.0.1'], allowPrivateAddresses: true }) as Tool;
    expect(await failure('http://127.0.0.1:1/', closed)).toBeInstanceOf(TransientToolError);
    expect((await failure(`${base}/image`)).message).toMatch(/is image\/png, not text/);
  });

  test('through the runner: refusals are observations, 5xx is thrown for the engine, and pages are cached', async () => {
    const runner = new ToolRunner({ registry: new ToolRegistry([fetchTool()]), db: database.db });
    const run = (url: string) =>
      runner.run({ id: 'c', name: 'http_fetch', arguments: JSON.stringify({ url }) }, context);
    expect(await run(`http://localhost:${port}/page`)).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
    expect(await run('ftp://127.0.0.1/file')).toMatchObject({ ok: false, error: { type: 'Tool.InvalidArguments' } });
    await expect(run(`${base}/unavailable`)).rejects.toThrow(TransientToolError);
    const before = hits.filter((hit) => hit === '/data.json').length;
    await run(`${base}/data.json`);
    expect(await run(`${base}/data.json`)).toMatchObject({ ok: true, cached: true });
    expect(hits.filter((hit) => hit === '/data.json').length).toBe(before + 1);
  });

  test('one breaker per host', () => {
    const tool = fetchTool();
    expect(tool.circuitKey?.({ url: `${base}/page` })).toBe(`http_fetch:127.0.0.1:${port}`);
  });
});
