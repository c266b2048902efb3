import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isPayloadCodecError } from './codec-errors';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  /** The chain, in Temporal's order (as in `DataConverter.payloadCodecs`). */
  codecs: PayloadCodec[];
  /** @default 8888; 0 picks a free port */
  port?: number;
  /**
   * Interface to listen on. Anything but loopback needs a `token`.
   * @default '127.0.0.1': the codec server hands out decrypted data, keep it off public interfaces
   */
  host?: string;
  /** Browser origins allowed to call (the Temporal UI's), e.g. `http://localhost:8233`; no other origin gets CORS. */
  allowedOrigins: string[];
  /**
   * Names besides `localhost` and this machine's addresses that requests may carry in their
   * `Host` header (the name the server is reached by through a proxy or DNS). Any other
   * `Host` is refused: that is what a DNS-rebinding page sends. @default []
   */
  publicNames?: string[];
  /** When set, every POST must carry `Authorization: Bearer <token>`. Required unless `host` is loopback. */
  token?: string;
  /**
   * Largest `/encode` body: Temporal refuses payloads over 2 MB by default, so nothing
   * larger is worth encoding (or storing in MongoDB through the claim check). @default 4 MB
   */
  maxEncodeBytes?: number;
  /** Largest `/decode` body (a batch of history payloads). @default 32 MB */
  maxDecodeBytes?: number;
  /** One line per request and per error. @default silent */
  log?: (line: string) => void;
}

/** The codec server cannot start as configured (e.g. a public interface without a token). */
export class CodecServerSetupError extends ChassisError {
  override readonly name = 'CodecServerSetupError';
}

/** True for a {@link CodecServerSetupError} from any copy of this module. */
export const isCodecServerSetupError = markErrorClass(CodecServerSetupError, 'CodecServerSetupError');

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

/** A request the codec server answers with `status` and this message. */
class HttpError extends ChassisError {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const isHttpError = markErrorClass(HttpError, 'CodecServerHttpError');

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
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body over ${limit} bytes`);
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

/** True when `host` is a loopback interface (`127.x.x.x`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost') return true;
  return ipaddr.isValid(name) && ipaddr.process(name).range() === 'loopback';
}

/** Host names a request may address: localhost, the machine's own addresses, the bound one and configured names. */
function expectedHostNames(host: string, publicNames: readonly string[]): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const unbracketed = (name: string) =>
    name
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
      .toLowerCase();
  if (host !== '0.0.0.0' && host !== '::') names.add(unbracketed(host));
  else {
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(unbracketed(entry.address));
    }
  }
  for (const name of publicNames) names.add(unbracketed(name));
  return names;
}

/** The host name of a `Host` header (`localhost:8888`, `[::1]:8888`), lower-cased, without port or trailing dot. */
function hostHeaderName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(header.trim());
  return match?.[1]
    ?.replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Serves Temporal's remote codec protocol so the Web UI and `temporal workflow show
 * --codec-endpoint` can show payloads the workers encoded: `POST /encode` and
 * `POST /decode` (also under a namespace segment, `/{namespace}/decode`), bodies
 * `{"payloads": [{"metadata": {key: base64}, "data": base64}]}`. Decoding fetches
 * claim-checked payloads from MongoDB and decrypts.
 *
 * It hands out decrypted data, so every request passes, in order: a `Host` that names this
 * server (403 otherwise: a DNS-rebinding page carries its own name), an allowed `Origin`
 * when a browser sends one (403), the bearer token when one is set (401),
 * `Content-Type: application/json` (415: a cross-site form or `text/plain` post cannot
 * reach the codecs without a CORS preflight, which only the UI's origin passes) and the
 * body limit (413). CORS answers the UI's preflight (it sends `Content-Type` and
 * `X-Namespace`, and `Authorization` when configured to).
 *
 * @throws {CodecServerSetupError} when `host` is not loopback and no token is set
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.token === undefined && !isLoopbackHost(host)) {
    throw new CodecServerSetupError(
      `the codec server would listen on ${host} without a token: set CHASSIS_CODEC_SERVER_TOKEN, or listen on 127.0.0.1`,
    );
  }
  const allowed = new Set(options.allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  const hostNames = expectedHostNames(host, options.publicNames ?? []);
  const limits = {
    encode: options.maxEncodeBytes ?? 4 * 1024 * 1024,
    decode: options.maxDecodeBytes ?? 32 * 1024 * 1024,
  };
  const log = options.log ?? (() => undefined);
  const expectedToken = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);

  async function run(kind: 'encode' | 'decode', request: IncomingMessage): Promise<{ payloads: JsonPayload[] }> {
    if (expectedToken !== undefined) {
      const given = digest(request.headers.authorization ?? '');
      if (!timingSafeEqual(given, expectedToken)) throw new HttpError(401, 'missing or wrong bearer token');
    }
    const contentType = request.headers['content-type'] ?? '';
    if (!JSON_CONTENT_TYPE.test(contentType)) {
      throw new HttpError(415, `content type "${contentType}" is not accepted: send Content-Type: application/json`);
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, limits[kind]));
    } catch (error) {
      if (isHttpError(error)) throw error;
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
    const send = (status: number, value: unknown) => {
      // An unread body would be drained first; a refused request's connection is closed instead.
      if (status >= 400) response.setHeader('Connection', 'close');
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const hostName = hostHeaderName(request.headers.host);
    if (hostName === undefined || !hostNames.has(hostName)) {
      log(`refused ${request.method} ${path}: Host "${request.headers.host ?? ''}" is not a name of this server`);
      send(403, { error: 'the Host header does not name this server: use localhost, or start it with --public-name' });
      return;
    }
    const origin = request.headers.origin;
    const originAllowed = origin !== undefined && allowed.has(origin);
    response.setHeader('Vary', 'Origin');
    if (originAllowed) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
    } else if (origin !== undefined) {
      log(`refused ${request.method} ${path} from origin ${origin}`);
      send(403, { error: `origin ${origin} is not allowed: only the Temporal UI's origin may call` });
      return;
    }
    const route = ROUTE.exec(path);
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Max-Age', '600');
      response.writeHead(route === null ? 404 : 204).end();
      return;
    }
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
      const status = isHttpError(error) ? error.status : isPayloadCodecError(error) ? 422 : 500;
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
