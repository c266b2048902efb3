import { maskSecrets, maskUri } from '../config/mask-secrets';

/**
 * What the worker prints about its servers: addresses without credentials and errors in
 * a few words. Everything printed about a connection goes through here (and the project's
 * one masker, `maskSecrets`), so a password in `MONGODB_URI` or a key, even quoted by a
 * driver error, never reaches a terminal or a log.
 */

/** The hosts of a MongoDB URI, e.g. `127.0.0.1:27017` or `cluster0.example.net`; never credentials. */
export function mongoServerLabel(uri: string): string {
  // Credentials in a valid URI are percent-encoded, so neither "@" nor "/" occurs in them.
  const hosts = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1];
  return hosts ?? maskUri(uri);
}

const MAX_REASON_CHARS = 160;

/**
 * A short reason for a failed connection: the driver's first line, credentials masked,
 * Rust transport errors of the Temporal client turned into the usual `connect ECONNREFUSED
 * host:port`.
 */
export function connectionErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const refused = /tcp connect error", ([^,\s]+), Os \{[^}]*ConnectionRefused/.exec(message);
  if (refused !== null) return `connect ECONNREFUSED ${refused[1]}`;
  if (/tcp connect error/.test(message) && /TimedOut/.test(message)) return 'connect timed out';
  const firstLine = maskSecrets(message.split('\n')[0] ?? '').trim();
  if (firstLine === '') {
    // e.g. an AggregateError of failed IPv4 and IPv6 connects carries only a code.
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
    return error instanceof Error ? error.name : 'unknown error';
  }
  return firstLine.length > MAX_REASON_CHARS ? `${firstLine.slice(0, MAX_REASON_CHARS - 1)}…` : firstLine;
}
