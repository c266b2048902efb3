import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { checkDistinctKeyIds, type PayloadKey, type PayloadKeys } from '../config/payload-keys';
import { PayloadCodecError } from './codec-errors';

const IV_BYTES = 12;
const TAG_BYTES = 16;

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
    checkDistinctKeyIds([active, ...previous]);
    for (const key of [active, ...previous]) this.byId.set(key.id, key);
  }

  /** The keyring of configured keys (`ChassisConfig.codec.payloadKeys`); undefined when encryption is off. */
  static of(keys: PayloadKeys | undefined): PayloadKeyring | undefined {
    return keys === undefined ? undefined : new PayloadKeyring(keys.active, keys.previous);
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
