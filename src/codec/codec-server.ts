import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadCodecError } from './codec-errors';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  /** The chain, in Temporal's order (as in `DataConverter.payloadCodecs`). */
  codecs: PayloadCodec[];
  /** @default 8888; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1': the codec server hands out decrypted data, keep it off public interfaces */
  host?: string;
  /** Browser origins allowed to call (the Temporal UI's), e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
  /** When set, every POST must carry `Authorization: Bearer <token>`. @default none */
  token?: string;
  /** Largest request body accepted. @default 32 MB */
  maxRequestBytes?: number;
  /** One line per request and per error. @default silent */
  log?: (line: string) => void;
}

/** A running codec server. */
export interface CodecServer {
  /** e.g. `http://127.0.0.1:8888`: what to enter as the UI's codec server endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A payload in Temporal's codec-server JSON (proto3 JSON: every bytes field in base64). */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ROUTE = /^(?:\/[^/]+)?\/(encode|decode)\/?$/;

function fromJson(value: unknown, index: number): Payload {
  const payload = value as JsonPayload | null;
  if (typeof payload !== 'object' || payload === null) throw new HttpError(400, `payloads[${index}] is not an object`);
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, encoded] of Object.entries(payload.metadata ?? {})) {
    if (typeof encoded !== 'string') throw new HttpError(400, `payloads[${index}].metadata.${key} is not base64 text`);
    metadata[key] = Buffer.from(encoded, 'base64');
  }
  if (payload.data !== undefined && typeof payload.data !== 'string') {
    throw new HttpError(400, `payloads[${index}].data is not base64 text`);
  }
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const base64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, base64(value)])),
    data: base64(payload.data),
  };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Serves Temporal's remote codec protocol so the Web UI and `temporal workflow show
 * --codec-endpoint` can show payloads the workers encoded: `POST /encode` and
 * `POST /decode` (also under a namespace segment, `/{namespace}/decode`), bodies
 * `{"payloads": [{"metadata": {key: base64}, "data": base64}]}`. Decoding fetches
 * claim-checked payloads from MongoDB and decrypts. CORS answers the UI's preflight
 * (it sends `Content-Type` and `X-Namespace`, and `Authorization` when configured to).
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const allowed = new Set(options.allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  const limit = options.maxRequestBytes ?? 32 * 1024 * 1024;
  const log = options.log ?? (() => undefined);
  const expectedToken = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);

  async function run(kind: 'encode' | 'decode', request: IncomingMessage): Promise<{ payloads: JsonPayload[] }> {
    if (expectedToken !== undefined) {
      const given = digest(request.headers.authorization ?? '');
      if (!timingSafeEqual(given, expectedToken)) throw new HttpError(401, 'missing or wrong bearer token');
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, limit));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'the body is not JSON: send {"payloads": [...]}');
    }
    const list = (body as { payloads?: unknown } | null)?.payloads;
    if (!Array.isArray(list)) throw new HttpError(400, 'the body has no "payloads" array');
    let payloads = list.map(fromJson);
    const chain = kind === 'encode' ? options.codecs : [...options.codecs].reverse();
    for (const codec of chain) payloads = await (kind === 'encode' ? codec.encode(payloads) : codec.decode(payloads));
    return { payloads: payloads.map(toJson) };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Vary', 'Origin');
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = ROUTE.exec(path);
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Max-Age', '600');
      response.writeHead(route === null ? 404 : 204).end();
      return;
    }
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    if (route === null) {
      send(404, { error: `no route ${path}: POST /encode or /decode` });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST, OPTIONS');
      send(405, { error: `${request.method} ${path}: use POST` });
      return;
    }
    const kind = route[1] as 'encode' | 'decode';
    const namespace = request.headers['x-namespace'] ?? '-';
    try {
      const result = await run(kind, request);
      log(`${kind} ${result.payloads.length} payload(s) for namespace ${String(namespace)}`);
      send(200, result);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : error instanceof PayloadCodecError ? 422 : 500;
      if (status === 401) response.setHeader('WWW-Authenticate', 'Bearer');
      const message = error instanceof Error ? error.message : String(error);
      log(`${kind} failed (${status}): ${message}`);
      send(status, { error: message });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`codec server error: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8888, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
