import { lookup as systemLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { PrivateAddressAllowance } from '../../config/tools-settings';
import { isCloudMetadataName, isIpLiteral, OutboundAddressPolicy } from '../../security/address-policy';
import { ChassisError, markErrorClass } from '../../shared/chassis-error';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/** Resolves a host name to all its addresses (the system resolver unless a test injects one). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** Options of {@link createPinnedFetch}. */
export interface PinnedFetchOptions {
  /** Non-public addresses that may be reached. @default false (none) */
  allowPrivateAddresses?: PrivateAddressAllowance;
  /** @default `dns.lookup(hostname, { all: true })` */
  resolveHost?: HostResolver;
}

/** What {@link PinnedFetch} accepts: a GET or HEAD whose redirects the caller follows itself. */
export interface PinnedRequestInit {
  method: 'GET' | 'HEAD';
  redirect: 'manual';
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** A `fetch` look-alike that only connects to addresses the policy allows. */
export type PinnedFetch = (url: URL, init: PinnedRequestInit) => Promise<Response>;

/**
 * The request was refused before any connection: the host is a cloud-metadata name or
 * resolves to an address the policy does not allow. Retrying cannot help.
 */
export class OutboundAddressRefusedError extends ChassisError {
  override readonly name = 'OutboundAddressRefusedError';
}

/** True for an {@link OutboundAddressRefusedError} from any copy of this module. */
export const isOutboundAddressRefusedError = markErrorClass(OutboundAddressRefusedError, 'OutboundAddressRefusedError');

const systemResolver: HostResolver = async (hostname) => systemLookup(hostname, { all: true });

/**
 * Creates a `fetch` for model-chosen URLs that closes SSRF doors: the host is resolved
 * once, every address it resolves to is checked (loopback, private, link-local, CGNAT,
 * multicast, reserved and cloud-metadata addresses are refused unless allowed), and the
 * socket connects to exactly the checked addresses through a `lookup` that answers from
 * them, so a second DNS answer (rebinding) is never asked for. TLS still verifies the
 * certificate against the host name (SNI and `Host` come from the URL). Redirects are not
 * followed: the caller checks each `Location` and calls again, which checks again.
 */
export function createPinnedFetch(options: PinnedFetchOptions = {}): PinnedFetch {
  const policy = new OutboundAddressPolicy(options.allowPrivateAddresses ?? false);
  const resolveHost = options.resolveHost ?? systemResolver;

  async function checkedAddresses(url: URL, signal: AbortSignal | undefined): Promise<ResolvedAddress[]> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    if (isCloudMetadataName(hostname)) {
      throw new OutboundAddressRefusedError(`${url.host} is a cloud-metadata host: it is never fetched`);
    }
    const addresses = isIpLiteral(hostname)
      ? [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }]
      : await abortable(resolveHost(hostname), signal);
    if (addresses.length === 0) throw new Error(`${hostname} resolves to no address`);
    for (const { address } of addresses) {
      const kind = policy.refusal(address);
      if (kind !== undefined) {
        const via = address === hostname ? '' : ` resolves to ${address}, which`;
        throw new OutboundAddressRefusedError(
          `${url.host}${via} is a ${kind} address: requests to loopback, private, link-local and metadata addresses ` +
            'are refused unless the operator allows them (CHASSIS_HTTP_ALLOW_PRIVATE)',
        );
      }
    }
    return addresses;
  }

  return async (url, init) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} URLs are not fetched`);
    const addresses = await checkedAddresses(url, init.signal);
    // Answers from the checked addresses only; net.connect asks with `all` to try each in turn.
    const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
      const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : undefined;
      const usable = addresses.filter((entry) => family === undefined || entry.family === family);
      if (usable.length === 0) {
        callback(Object.assign(new Error(`no IPv${family} address for ${url.hostname}`), { code: 'ENOTFOUND' }), '', 0);
      } else if (lookupOptions.all) {
        (callback as unknown as (error: null, all: ResolvedAddress[]) => void)(null, usable);
      } else {
        callback(null, (usable[0] as ResolvedAddress).address, (usable[0] as ResolvedAddress).family);
      }
    };
    const message = await send(url, init, pinnedLookup);
    return toResponse(message, init.method);
  };
}

function send(url: URL, init: PinnedRequestInit, lookup: LookupFunction): Promise<IncomingMessage> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: init.method,
      headers: { 'accept-encoding': 'gzip, deflate, br', ...init.headers },
      signal: init.signal,
      lookup,
      // A socket of its own: a pooled one may have been connected under another check.
      agent: false,
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end();
  });
}

/** Bodies that must be null in a `Response`. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function toResponse(message: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let index = 0; index + 1 < message.rawHeaders.length; index += 2) {
    try {
      headers.append(message.rawHeaders[index] as string, message.rawHeaders[index + 1] as string);
    } catch {
      // A header value fetch would reject too: leave it out rather than fail the page.
    }
  }
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) {
    message.destroy();
    throw new Error(`the server answered with an invalid HTTP status ${status}`);
  }
  if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
    message.resume();
    return new Response(null, { status, statusText: message.statusMessage ?? '', headers });
  }
  const body = decompressed(message, headers.get('content-encoding'));
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
    status,
    statusText: message.statusMessage ?? '',
    headers,
  });
}

function decompressed(message: IncomingMessage, encoding: string | null): Readable {
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return message;
  message.on('error', (error) => decoder.destroy(error));
  return message.pipe(decoder);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
