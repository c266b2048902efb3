import { createHash } from 'node:crypto';
import { ConfigError } from './config-error';

/** AES-256 needs 32-byte keys. */
export const KEY_BYTES = 32;

/** One AES-256-GCM key with its id, the id written into every payload it encrypts. */
export interface PayloadKey {
  id: string;
  /** 32 bytes. Never logged. */
  key: Buffer;
}

/**
 * The payload keys of a process, as configured: the active key encrypts; the active and
 * previous keys decrypt. The codec turns them into a `PayloadKeyring`.
 */
export interface PayloadKeys {
  active: PayloadKey;
  previous: readonly PayloadKey[];
}

/**
 * The id of a key when none is given: a fingerprint of the key (a SHA-256 over a fixed
 * label and the key), so every process holding the same key derives the same id and the
 * id reveals nothing useful about the key.
 */
export function deriveKeyId(key: Buffer): string {
  return `k-${createHash('sha256').update('chassis-payload-key-id\n').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * Parses `base64` or `id:base64` into a key. `variable` names the environment variable in
 * errors; the key's value is never echoed.
 *
 * @throws {ConfigError} for a key of the wrong length or an invalid id
 */
export function parsePayloadKey(value: string, variable: string, explicitId?: string): PayloadKey {
  const separator = value.lastIndexOf(':');
  const id = separator > 0 ? value.slice(0, separator).trim() : explicitId;
  const encoded = (separator > 0 ? value.slice(separator + 1) : value).trim();
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new ConfigError(
      `${variable} must be ${KEY_BYTES} random bytes in base64 (got ${key.length} bytes): create one with "openssl rand -base64 32"`,
    );
  }
  if (id !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
    throw new ConfigError(`${variable} has an invalid key id "${id}": use 1-64 letters, digits, ".", "_" or "-"`);
  }
  return { id: id ?? deriveKeyId(key), key };
}

/** Ids of the configured keys, the active one first; undefined when encryption is off. */
export function payloadKeyIds(keys: PayloadKeys | undefined): string[] | undefined {
  return keys === undefined ? undefined : [...new Set([keys.active, ...keys.previous].map((key) => key.id))];
}

/**
 * Checks that no id names two different keys (a payload's key id must pick one key).
 *
 * @throws {ConfigError} naming the id
 */
export function checkDistinctKeyIds(keys: readonly PayloadKey[]): void {
  const byId = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    const existing = byId.get(id);
    if (existing !== undefined && !existing.equals(key)) {
      throw new ConfigError(`two different payload keys have the id "${id}": give each key its own id`);
    }
    byId.set(id, key);
  }
}
