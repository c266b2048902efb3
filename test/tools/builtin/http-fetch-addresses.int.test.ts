import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../../src/config';
import { openTestDatabase, type TestDatabase } from '../../../src/testing/test-database';
import { builtInTools, createHttpFetchTool, type HttpFetchOptions } from '../../../src/tools/builtin';
import type { ResolvedAddress } from '../../../src/tools/builtin/safe-http';
import { ToolRegistry } from '../../../src/tools/registry';
import type { Tool } from '../../../src/tools/tool';
import { PermanentToolError } from '../../../src/tools/tool-errors';
import { ToolRunner } from '../../../src/tools/tool-runner';

// Two real servers on one port: "checked" on 127.0.0.2 and "loopback" on 127.0.0.1. Tests
// allow only 127.0.0.2/32, so any request that lands on 127.0.0.1 got past the address check.
const servers: Record<'checked' | 'loopback', http.Server> = {
  checked: http.createServer(),
  loopback: http.createServer(),
};
const hits: Record<'checked' | 'loopback', string[]> = { checked: [], loopback: [] };
let port: number;
let database: TestDatabase;

function handler(name: 'checked' | 'loopback'): http.RequestListener {
  return (request, response) => {
    const url = request.url ?? '/';
    hits[name].push(url);
    if (url === '/to-loopback') {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
    } else if (url === '/to-metadata') {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
    } else if (url === '/to-mapped') {
      response.writeHead(302, { location: `http://[::ffff:127.0.0.1]:${port}/secret` }).end();
    } else if (url === '/gzip') {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      response.end(gzipSync(`compressed page from ${name}`));
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(`page ${url} from ${name}`);
    }
  };
}

async function listen(server: http.Server, host: string, wanted: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  servers.checked.on('request', handler('checked'));
  servers.loopback.on('request', handler('loopback'));
  // The same port on both addresses; retry when the port the first server got is taken on the other.
  for (let attempt = 0; ; attempt++) {
    port = await listen(servers.checked, '127.0.0.2', 0);
    try {
      await listen(servers.loopback, '127.0.0.1', port);
      break;
    } catch (error) {
      await new Promise((resolve) => servers.checked.close(resolve));
      if (attempt === 5) throw error;
    }
  }
  database = await openTestDatabase('http_fetch_addresses');
});

afterAll(async () => {
  for (const server of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await database.drop();
});

beforeEach(() => {
  hits.checked.length = 0;
  hits.loopback.length = 0;
});

const context = { idempotencyKey: 'k', signal: new AbortController().signal, heartbeat: () => undefined };

/** A resolver from a table of names, counting its calls; nothing reaches the system's DNS. */
function tableResolver(table: Record<string, string[] | (() => string[])>) {
  const calls: string[] = [];
  const resolveHost = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const addresses = typeof entry === 'function' ? entry() : entry;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { calls, resolveHost };
}

function tool(options: Partial<HttpFetchOptions>): Tool {
  return createHttpFetchTool({ allowedHosts: ['127.0.0.2'], ...options }) as Tool;
}

async function failure(fetchTool: Tool, url: string): Promise<Error> {
  return fetchTool.execute({ url }, context).then(
    () => {
      throw new Error(`expected ${url} to be refused`);
    },
    (error: Error) => error,
  );
}

describe('http_fetch: the addresses a host resolves to are checked, not only its name', () => {
  test('a wildcard allow-list entry whose name resolves to 127.0.0.1 is refused before any request', async () => {
    const { calls, resolveHost } = tableResolver({ 'internal.example.test': ['127.0.0.1'] });
    const fetchTool = tool({ allowedHosts: ['*.example.test'], resolveHost });
    const refused = await failure(fetchTool, `http://internal.example.test:${port}/secret`);
    expect(refused).toBeInstanceOf(PermanentToolError);
    expect(refused.message).toBe(
      `internal.example.test:${port} resolves to 127.0.0.1, which is a loopback address: requests to loopback, ` +
        'private, link-local and metadata addresses are refused unless the operator allows them (CHASSIS_HTTP_ALLOW_PRIVATE)',
    );
    expect(calls).toEqual(['internal.example.test']);
    expect(hits.loopback).toEqual([]);
  });

  test('a name with one private address among public ones is refused', async () => {
    const { resolveHost } = tableResolver({ 'mixed.example.test': ['93.184.215.14', '10.0.0.7'] });
    const refused = await failure(
      tool({ allowedHosts: ['mixed.example.test'], resolveHost }),
      'http://mixed.example.test/',
    );
    expect(refused.message).toMatch(/^mixed\.example\.test resolves to 10\.0\.0\.7, which is a private address/);
  });

  test('IP literals, IPv4-mapped IPv6 and cloud-metadata names are refused too', async () => {
    const { calls, resolveHost } = tableResolver({});
    const fetchTool = tool({
      allowedHosts: ['127.0.0.1', '[::ffff:7f00:1]', '169.254.169.254', '[fd00:ec2::254]', 'metadata.google.internal'],
      resolveHost,
    });
    expect((await failure(fetchTool, `http://127.0.0.1:${port}/`)).message).toMatch(
      /^127\.0\.0\.1:\d+ is a loopback address/,
    );
    expect((await failure(fetchTool, `http://[::ffff:127.0.0.1]:${port}/`)).message).toMatch(
      /^\[::ffff:7f00:1\]:\d+ is a loopback address/,
    );
    expect((await failure(fetchTool, 'http://169.254.169.254/latest/meta-data/')).message).toMatch(
      /^169\.254\.169\.254 is a cloud-metadata address/,
    );
    expect((await failure(fetchTool, 'http://[fd00:ec2::254]/latest/')).message).toMatch(/is a cloud-metadata address/);
    expect((await failure(fetchTool, 'http://metadata.google.internal/computeMetadata/v1/')).message).toBe(
      'metadata.google.internal is a cloud-metadata host: it is never fetched',
    );
    expect(calls).toEqual([]);
    expect(hits.loopback).toEqual([]);
  });

  test('every redirect is checked: to 127.0.0.1, to an IPv4-mapped 127.0.0.1 and to 169.254.169.254 are refused', async () => {
    const fetchTool = tool({
      allowedHosts: ['127.0.0.2', '127.0.0.1', '[::ffff:7f00:1]', '169.254.169.254'],
      allowPrivateAddresses: ['127.0.0.2/32'],
    });
    const toLoopback = await failure(fetchTool, `http://127.0.0.2:${port}/to-loopback`);
    expect(toLoopback).toBeInstanceOf(PermanentToolError);
    expect(toLoopback.message).toMatch(
      new RegExp(
        `^127\\.0\\.0\\.1:${port} is a loopback address: .* \\(redirected from http://127\\.0\\.0\\.2:${port}/to-loopback\\)$`,
      ),
    );
    expect((await failure(fetchTool, `http://127.0.0.2:${port}/to-mapped`)).message).toMatch(/is a loopback address/);
    const toMetadata = await failure(fetchTool, `http://127.0.0.2:${port}/to-metadata`);
    expect(toMetadata.message).toMatch(
      /^169\.254\.169\.254 is a cloud-metadata address: .*\(redirected from .*\/to-metadata\)$/,
    );
    expect(hits.checked).toEqual(['/to-loopback', '/to-mapped', '/to-metadata']);
    expect(hits.loopback).toEqual([]);
  });

  test('CHASSIS_HTTP_ALLOW_PRIVATE=true opens loopback and private networks, never the metadata address', async () => {
    const fetchTool = tool({
      allowedHosts: ['127.0.0.2', '127.0.0.1', '169.254.169.254'],
      allowPrivateAddresses: true,
    });
    // The same redirect as above now lands on the loopback server: the refusal was the policy's.
    expect(await fetchTool.execute({ url: `http://127.0.0.2:${port}/to-loopback` }, context)).toContain(
      'page /secret from loopback',
    );
    expect((await failure(fetchTool, `http://127.0.0.2:${port}/to-metadata`)).message).toMatch(
      /^169\.254\.169\.254 is a cloud-metadata address/,
    );
  });

  test('DNS rebinding cannot pass: the name is resolved once and the socket connects to the checked address', async () => {
    // First answer: the allowed 127.0.0.2; every later answer: 127.0.0.1, as a rebinding DNS server would give.
    let answers = 0;
    const { calls, resolveHost } = tableResolver({
      'rebind.example.test': () => (answers++ === 0 ? ['127.0.0.2'] : ['127.0.0.1']),
    });
    const fetchTool = tool({
      allowedHosts: ['rebind.example.test'],
      allowPrivateAddresses: ['127.0.0.2/32'],
      resolveHost,
    });
    const text = await fetchTool.execute({ url: `http://rebind.example.test:${port}/page` }, context);
    expect(text).toContain('page /page from checked');
    expect(calls).toEqual(['rebind.example.test']);
    expect(hits.loopback).toEqual([]);
    // The next request asks again, gets 127.0.0.1 and is refused.
    expect((await failure(fetchTool, `http://rebind.example.test:${port}/page`)).message).toMatch(
      /resolves to 127\.0\.0\.1, which is a loopback address/,
    );
    expect(hits.loopback).toEqual([]);
  });

  test('the Host header carries the name, and compressed bodies are decoded', async () => {
    const { resolveHost } = tableResolver({ 'site.example.test': ['127.0.0.2'] });
    const seenHosts: string[] = [];
    const record = (request: http.IncomingMessage) => seenHosts.push(request.headers.host ?? '');
    servers.checked.on('request', record);
    try {
      const fetchTool = tool({
        allowedHosts: ['site.example.test'],
        allowPrivateAddresses: ['127.0.0.2'],
        resolveHost,
      });
      expect(await fetchTool.execute({ url: `http://site.example.test:${port}/gzip` }, context)).toMatch(
        /\n\ncompressed page from checked$/,
      );
      expect(seenHosts).toEqual([`site.example.test:${port}`]);
    } finally {
      servers.checked.off('request', record);
    }
  });

  test('through the runner, a refused address is an observation the model gets, not a retry', async () => {
    const { resolveHost } = tableResolver({ 'internal.example.test': ['127.0.0.1'] });
    const runner = new ToolRunner({
      registry: new ToolRegistry([tool({ allowedHosts: ['*.example.test'], resolveHost })]),
      db: database.db,
    });
    const result = await runner.run(
      {
        id: 'c',
        name: 'http_fetch',
        arguments: JSON.stringify({ url: `http://internal.example.test:${port}/secret` }),
      },
      context,
    );
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
    expect(JSON.stringify(result)).toContain('is a loopback address');
    expect(hits.loopback).toEqual([]);
  });
});

describe('CHASSIS_HTTP_ALLOW_PRIVATE, through the config and the built-in tools a worker registers', () => {
  const fetchFrom = (environment: Record<string, string>) => {
    const config = loadConfig({ CHASSIS_HTTP_ALLOWED_HOSTS: `127.0.0.1:${port}`, ...environment }, '/project');
    const fetchTool = builtInTools({ httpAllowedHosts: config.tools.httpAllowedHosts, http: config.tools.http }).find(
      (candidate) => candidate.name === 'http_fetch',
    ) as Tool;
    return (url: string) => fetchTool.execute({ url }, context);
  };

  test('unset: the local server is refused; set to true or to its CIDR: it is fetched', async () => {
    await expect(fetchFrom({})(`http://127.0.0.1:${port}/page`)).rejects.toThrow(/is a loopback address/);
    expect(await fetchFrom({ CHASSIS_HTTP_ALLOW_PRIVATE: 'true' })(`http://127.0.0.1:${port}/page`)).toContain(
      'page /page from loopback',
    );
    expect(await fetchFrom({ CHASSIS_HTTP_ALLOW_PRIVATE: '127.0.0.0/8' })(`http://127.0.0.1:${port}/page`)).toContain(
      'page /page from loopback',
    );
    await expect(
      fetchFrom({ CHASSIS_HTTP_ALLOW_PRIVATE: '10.0.0.0/8' })(`http://127.0.0.1:${port}/page`),
    ).rejects.toThrow(/is a loopback address/);
    expect(hits.loopback).toEqual(['/page', '/page']);
  });
});
