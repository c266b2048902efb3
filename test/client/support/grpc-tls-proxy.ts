import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Options of {@link startGrpcTlsProxy}. */
export interface GrpcTlsProxyOptions {
  /** Plain-text gRPC server behind the proxy, e.g. `127.0.0.1:7233`. */
  upstream: string;
  certificate: Buffer;
  key: Buffer;
  /** Require a client certificate signed by this CA (mTLS). @default no client certificate asked */
  clientCa?: Buffer;
  /** Require `authorization: Bearer <apiKey>` on every call, as Temporal Cloud does. @default not checked */
  apiKey?: string;
}

/** A running proxy and what it saw. */
export interface GrpcTlsProxy {
  address: string;
  /** `authorization` header of every call (undefined when absent). */
  authorizations: (string | undefined)[];
  /** Subject CN of every client certificate presented on an accepted connection. */
  clientNames: string[];
  /** Calls forwarded to the upstream server. */
  forwardedCalls(): number;
  close(): Promise<void>;
}

const { HTTP2_HEADER_STATUS, NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** Response headers without HTTP/2 pseudo-headers (except `:status`), which `respond` sets itself. */
function responseHeaders(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const copied: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') || name === HTTP2_HEADER_STATUS) copied[name] = value;
  }
  return copied;
}

/**
 * A TLS-terminating gRPC proxy, as a load balancer or Temporal Cloud's front door is: it
 * speaks HTTP/2 over TLS to clients (optionally asking for a client certificate, mTLS, and
 * checking an API key), and forwards each call as plain HTTP/2 to the dev server. Because it
 * sees each call's headers, a test can check what the client sent.
 */
export async function startGrpcTlsProxy(options: GrpcTlsProxyOptions): Promise<GrpcTlsProxy> {
  const upstream = http2.connect(`http://${options.upstream}`);
  upstream.on('error', () => undefined);
  const authorizations: (string | undefined)[] = [];
  const clientNames: string[] = [];
  let forwarded = 0;
  const server = http2.createSecureServer({
    cert: options.certificate,
    key: options.key,
    allowHTTP1: false,
    ...(options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const peer = socket.getPeerCertificate();
    if (peer !== null && typeof peer.subject?.CN === 'string') clientNames.push(peer.subject.CN);
  });
  // A refused handshake (no or wrong client certificate) is the expected outcome of some tests.
  server.on('tlsClientError', () => undefined);
  server.on('stream', (stream, headers) => {
    const authorization = headers.authorization;
    authorizations.push(authorization);
    if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
      // What a gRPC server answers a call without a valid key: UNAUTHENTICATED, trailers only.
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'invalid API key' },
        { endStream: true },
      );
      return;
    }
    const requestHeaders: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(':') || name === ':method' || name === ':path') requestHeaders[name] = value;
    }
    forwarded += 1;
    const call = upstream.request(requestHeaders);
    let trailers: http2.OutgoingHttpHeaders = {};
    call.on('response', (response, flags) => {
      if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) {
        stream.respond(responseHeaders(response), { endStream: true });
        return;
      }
      stream.respond(responseHeaders(response), { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    call.on('trailers', (received) => {
      trailers = responseHeaders(received);
    });
    stream.pipe(call);
    call.on('error', () => stream.close(NGHTTP2_CANCEL));
    stream.on('error', () => call.close(NGHTTP2_CANCEL));
    stream.on('close', () => {
      if (!call.closed) call.close(NGHTTP2_CANCEL);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    authorizations,
    clientNames,
    forwardedCalls: () => forwarded,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Open sessions (a worker's long polls) would keep close() waiting.
      for (const session of sessions) session.destroy();
      upstream.destroy();
      await closed;
    },
  };
}
