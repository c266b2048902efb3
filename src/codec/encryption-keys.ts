import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { PayloadCodecError } from './codec-errors';

/** AES-256 needs 32-byte keys. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-256-GCM key with its id, the id written into every payload it encrypts. */
export interface PayloadKey {
  id: string;
  /** 32 bytes. Never logged. */
  key: Buffer;
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
 */
export function parsePayloadKey(value: string, variable: string, explicitId?: string): PayloadKey {
  const separator = value.lastIndexOf(':');
  const id = separator > 0 ? value.slice(0, separator).trim() : explicitId;
  const encoded = (separator > 0 ? value.slice(separator + 1) : value).trim();
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new PayloadCodecError(
      `${variable} must be ${KEY_BYTES} random bytes in base64 (got ${key.length} bytes): create one with "openssl rand -base64 32"`,
    );
  }
  if (id !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
    throw new PayloadCodecError(`${variable} has an invalid key id "${id}": use 1-64 letters, digits, ".", "_" or "-"`);
  }
  return { id: id ?? deriveKeyId(key), key };
}

/**
 * The keys a process can use: the active key encrypts; the active and previous keys
 * decrypt, chosen by the key id in the payload. Rotation: make a new key active and move
 * the old one to the previous keys until no history or stored blob needs it.
 */
export class PayloadKeyring {
  private readonly byId = new Map<string, PayloadKey>();

  constructor(
    readonly active: PayloadKey,
    previous: readonly PayloadKey[] = [],
  ) {
    for (const key of [active, ...previous]) {
      const existing = this.byId.get(key.id);
      if (existing !== undefined && !existing.key.equals(key.key)) {
        throw new PayloadCodecError(`two different payload keys have the id "${key.id}": give each key its own id`);
      }
      this.byId.set(key.id, key);
    }
  }

  /** Ids of every key, the active one first. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The key of an id, for decryption. */
  get(id: string): PayloadKey {
    const key = this.byId.get(id);
    if (key === undefined) {
      throw new PayloadCodecError(
        `this payload was encrypted with key "${id}", which is not configured (known: ${this.ids().join(', ')}): add it to CHASSIS_PAYLOAD_PREVIOUS_KEYS`,
      );
    }
    return key;
  }

  /**
   * A key for content addresses of encrypted blobs (HMAC instead of a plain hash, so a
   * stored id does not let anyone confirm a guess of the content). Derived from the active
   * key: after a rotation the same content gets a new address and is stored again.
   */
  contentAddressKey(): Buffer {
    return Buffer.from(hkdfSync('sha256', this.active.key, Buffer.alloc(0), 'chassis claim-check address', 32));
  }
}

/**
 * AES-256-GCM: a random 12-byte IV, then the ciphertext, then the 16-byte tag. `aad` is
 * authenticated, not encrypted: it binds the ciphertext to its context (the key id, the
 * blob's address) so a blob cannot be swapped for another.
 */
export function seal(key: PayloadKey, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** The inverse of {@link seal}; fails on a wrong key, a tampered ciphertext or a different `aad`. */
export function open(key: PayloadKey, sealed: Uint8Array, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) {
    throw new PayloadCodecError(`encrypted payload is too short (${sealed.length} bytes) to be AES-256-GCM output`);
  }
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadCodecError(
      `cannot decrypt a payload with key "${key.id}": the key is wrong or the data was altered`,
    );
  }
}
