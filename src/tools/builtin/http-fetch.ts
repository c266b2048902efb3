import { convert } from 'html-to-text';
import { z } from 'zod';
import { defineTool, type ToolContext } from '../tool';
import { PermanentToolError, TransientToolError, isPermanentToolError, isTransientToolError } from '../tool-errors';
import type { PrivateAddressAllowance } from '../../config/tools-settings';
import { createPinnedFetch, isOutboundAddressRefusedError, type HostResolver, type PinnedFetch } from './safe-http';

/** Options of {@link createHttpFetchTool}. */
export interface HttpFetchOptions {
  /**
   * Hosts the tool may fetch from: `example.com` (that host, any port), `*.example.com`
   * (its subdomains), `127.0.0.1:8080` (that host and port). Redirects are checked too.
   */
  allowedHosts: string[];
  /** Largest body read, in bytes; a longer body is cut and the result says so. @default 2_000_000 */
  maxBytes?: number;
  /** Time limit of one fetch, redirects included. @default 15_000 */
  timeoutMs?: number;
  /** Redirects followed (each checked against the allow-list). @default 5 */
  maxRedirects?: number;
  /**
   * Non-public addresses the tool may reach (`CHASSIS_HTTP_ALLOW_PRIVATE`): `true` for
   * loopback, private, link-local and CGNAT networks, or a list of CIDR ranges. Whatever
   * the host name, every address it resolves to is checked, redirects included.
   * @default false
   */
  allowPrivateAddresses?: PrivateAddressAllowance;
  /** How host names are resolved (tests inject one). @default the system resolver */
  resolveHost?: HostResolver;
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json|rss\+xml|atom\+xml)|[^;]*\+json|[^;]*\+xml)/i;
const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)/i;

/** An allow-list entry, parsed. */
interface HostRule {
  host: string;
  port?: string;
  subdomains: boolean;
}

function parseHostRule(entry: string): HostRule {
  let value = entry.trim().toLowerCase();
  const subdomains = value.startsWith('*.');
  if (subdomains) value = value.slice(2);
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (match === null || match[1] === undefined)
    throw new Error(`http allow-list entry "${entry}" is invalid: use host, *.host or host:port`);
  return { host: match[1], port: match[2], subdomains };
}

function defaultPort(url: URL): string {
  return url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
}

/** True when `url` is on the allow-list. */
export function isHostAllowed(url: URL, allowedHosts: string[]): boolean {
  const host = url.hostname.toLowerCase();
  return allowedHosts.map(parseHostRule).some((rule) => {
    const hostMatches = rule.subdomains ? host.endsWith(`.${rule.host}`) : host === rule.host;
    return hostMatches && (rule.port === undefined || rule.port === defaultPort(url));
  });
}

/**
 * Translates an HTTP error status (the one place for HTTP tools): 408, 409, 425, 429 and
 * 5xx may pass, so they are transient (with `Retry-After` as the next retry delay); any
 * other 4xx is the caller's mistake and permanent.
 */
export function httpStatusError(status: number, statusText: string, retryAfter: string | null, url: string): Error {
  const message = `GET ${url} answered ${status}${statusText === '' ? '' : ` ${statusText}`}`;
  if (status === 408 || status === 409 || status === 425 || status === 429 || status >= 500) {
    return new TransientToolError(message, parseRetryAfter(retryAfter));
  }
  const hint =
    status === 404
      ? ': check the URL'
      : status === 401 || status === 403
        ? ': the page needs credentials this tool does not have'
        : '';
  return new PermanentToolError(`${message}${hint}`);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Creates `http_fetch`: GET over an allow-list of hosts, with size and time limits and HTML→text. */
export function createHttpFetchTool(options: HttpFetchOptions) {
  const allowedHosts = options.allowedHosts.map((entry) => entry.trim()).filter((entry) => entry !== '');
  allowedHosts.forEach(parseHostRule); // fail at start-up on a bad entry, not on the first call
  const maxBytes = options.maxBytes ?? 2_000_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const pinnedFetch = createPinnedFetch({
    allowPrivateAddresses: options.allowPrivateAddresses,
    resolveHost: options.resolveHost,
  });
  const allowedText = allowedHosts.length === 0 ? '(none configured)' : allowedHosts.join(', ');

  return defineTool({
    name: 'http_fetch',
    description:
      'Fetches a web page or API response with HTTP GET and returns its text. Use it to read a specific URL ' +
      'on an allowed host; HTML is converted to plain text (no scripts, styles or images), JSON and other text are ' +
      'returned as-is. Returns the final URL, status, content type and the text. Limits: allowed hosts: ' +
      `${allowedText}; GET only, no credentials; bodies over ${maxBytes} bytes are cut; ${timeoutMs / 1000} s time ` +
      'limit; results are cached for 5 minutes.',
    input: z.object({
      url: z
        .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
        .max(2000)
        .describe('The absolute URL to fetch, e.g. "https://example.com/page"'),
    }),
    example: { url: `https://${(allowedHosts[0] ?? 'example.com').replace(/^\*\./, 'www.')}/` },
    policy: {
      timeoutMs: timeoutMs + 5_000,
      heartbeatTimeoutMs: 10_000,
      maximumAttempts: 3,
      initialRetryIntervalMs: 1_000,
      cacheTtlSeconds: 300,
      idempotent: true,
      maxOutputChars: 8_000,
    },
    // One breaker per host: one failing site must not close the tool for every other.
    circuitKey: ({ url }) => `http_fetch:${new URL(url).host.toLowerCase()}`,
    async execute({ url }, context) {
      const limits = { allowedHosts, allowedText, maxBytes, timeoutMs, maxRedirects, fetch: pinnedFetch };
      return fetchText(new URL(url), limits, context);
    },
  });
}

interface FetchLimits {
  allowedHosts: string[];
  allowedText: string;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Connects only to checked addresses. */
  fetch: PinnedFetch;
}

async function fetchText(start: URL, limits: FetchLimits, context: ToolContext): Promise<string> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = AbortSignal.any([context.signal, timeout]);
  let url = start;
  try {
    for (let redirects = 0; ; redirects++) {
      if (!isHostAllowed(url, limits.allowedHosts)) {
        const via = redirects === 0 ? '' : ` (redirected from ${start.href})`;
        throw new PermanentToolError(`host ${url.host} is not allowed${via}; allowed hosts: ${limits.allowedText}`);
      }
      const response = await limits.fetch(url, {
        method: 'GET',
        redirect: 'manual',
        signal,
        headers: {
          accept: 'text/html, text/plain, application/json;q=0.9, */*;q=0.5',
          'user-agent': 'chassis-http-fetch/1',
          // Stable across retries of this call: a server that deduplicates requests can use it.
          'idempotency-key': context.idempotencyKey,
        },
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        if (redirects >= limits.maxRedirects)
          throw new PermanentToolError(`more than ${limits.maxRedirects} redirects from ${start.href}`);
        url = new URL(location, url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw new PermanentToolError(`redirect to a non-HTTP URL: ${url.href}`);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw httpStatusError(response.status, response.statusText, response.headers.get('retry-after'), url.href);
      }
      const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
      if (!TEXT_TYPES.test(contentType)) {
        await response.body?.cancel();
        throw new PermanentToolError(
          `${url.href} is ${contentType}, not text: this tool reads text, HTML and JSON only`,
        );
      }
      const body = await readLimited(response, limits.maxBytes, context);
      const text = decode(body.bytes, contentType);
      const content = HTML_TYPES.test(contentType) ? htmlToText(text) : text;
      const cut = body.truncated ? `\nTruncated: only the first ${limits.maxBytes} bytes were read` : '';
      return `URL: ${url.href}\nStatus: ${response.status}\nContent-Type: ${contentType}${cut}\n\n${content}`;
    }
  } catch (error) {
    if (isPermanentToolError(error) || isTransientToolError(error)) throw error;
    if (isOutboundAddressRefusedError(error)) {
      const via = url.href === start.href ? '' : ` (redirected from ${start.href})`;
      throw new PermanentToolError(`${error.message}${via}`);
    }
    if (context.signal.aborted) throw error; // cancelled by the engine: not the site's fault
    if (timeout.aborted) throw new TransientToolError(`GET ${url.href} timed out after ${limits.timeoutMs} ms`);
    const cause = (error as Error & { cause?: Error }).cause;
    throw new TransientToolError(`GET ${url.href} failed: ${cause?.message ?? (error as Error).message}`);
  }
}

/** Reads at most `maxBytes`, heartbeating per chunk so a slow download is not taken for a dead worker. */
async function readLimited(
  response: Response,
  maxBytes: number,
  context: ToolContext,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  let truncated = false;
  if (response.body === null) return { bytes: new Uint8Array(0), truncated };
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - received;
    const kept = value.byteLength > room ? value.subarray(0, room) : value;
    chunks.push(kept);
    received += kept.byteLength;
    context.heartbeat({ bytes: received });
    if (kept !== value) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, truncated };
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset="?([^";\s]+)"?/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes); // unknown charset label
  }
}

function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
    ],
  });
}
