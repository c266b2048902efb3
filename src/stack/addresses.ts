import { maskUri } from '../config/mask-secrets';
import { StackError } from './stack-error';

/** A host and a TCP port, as a server binds or a client connects. */
export interface HostPort {
  host: string;
  port: number;
}

/** Formats a host and port as `host:port`, bracketing IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` (or `[ipv6]:port`), the form of `TEMPORAL_ADDRESS`. */
export function parseHostPort(address: string): HostPort {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StackError(`"${address}" is not a host:port address, e.g. 127.0.0.1:7233`);
  }
  return { host: match[1], port };
}

/**
 * The first host of a `mongodb://` URI, where a local server should listen. A
 * `mongodb+srv://` URI names a DNS record, never a local server, so it is rejected.
 */
export function mongoHostPort(uri: string): HostPort {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?,]+)/.exec(uri);
  const firstHost = match?.[1];
  if (firstHost === undefined) {
    throw new StackError(`cannot start a local server for MONGODB_URI "${maskUri(uri)}": use mongodb://host:port/`);
  }
  return firstHost.includes(':') && !firstHost.endsWith(']')
    ? parseHostPort(firstHost)
    : { host: firstHost.replace(/^\[|\]$/g, ''), port: 27017 };
}

/** The TCP port of an http(s) URL, e.g. the Temporal UI's `http://localhost:8233`. */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  if (parsed.port !== '') return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}
