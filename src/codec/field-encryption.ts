import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { Binary } from 'mongodb';
import { PayloadCodecError } from './codec-errors';
import { open, seal, type PayloadKeyring } from './encryption-keys';

/** A value as stored in MongoDB: as it is, or sealed (AES-256-GCM, BSON binary) when encryption is on. */
export type Stored<T> = T | Binary;

/** First byte of a sealed field: the format, so a later one can be told apart. */
const FORMAT_VERSION = 1;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Encryption at rest of the MongoDB fields that hold what users wrote and models produced
 * (tool outputs, cached results, ledger outcomes, cached model answers, episodes, knowledge),
 * with the payload keys (`CHASSIS_PAYLOAD_KEY`, rotation through
 * `CHASSIS_PAYLOAD_PREVIOUS_KEYS`). Without a keyring it stores values as they are, and reads
 * both forms, so stores need one code path.
 *
 * A sealed field is a BSON binary: version byte, key-id length, key id, then AES-256-GCM
 * output (IV, ciphertext, tag). The authenticated data binds it to its `context` (collection,
 * document id and field), so a sealed value copied into another document or field does not
 * open. Unsealed values (written before encryption was turned on) still read as they are.
 */
export class FieldEncryption {
  private readonly addressKey: Buffer | undefined;

  constructor(private readonly keyring?: PayloadKeyring) {
    this.addressKey =
      keyring === undefined
        ? undefined
        : Buffer.from(hkdfSync('sha256', keyring.active.key, Buffer.alloc(0), 'chassis field address', 32));
  }

  /** True when values are sealed. */
  get encrypts(): boolean {
    return this.keyring !== undefined;
  }

  /** The text to store: sealed with the active key when encryption is on. */
  sealText(text: string, context: string): Stored<string> {
    return this.keyring === undefined ? text : this.seal(textEncoder.encode(text), context);
  }

  /** A stored text as written. @throws {PayloadCodecError} when it is sealed with a key this process lacks */
  openText(stored: Stored<string>, context: string): string {
    return isSealed(stored) ? textDecoder.decode(this.open(stored, context)) : stored;
  }

  /** A JSON value to store: sealed as a whole when encryption is on. */
  sealJson<T>(value: T, context: string): Stored<T> {
    return this.keyring === undefined ? value : this.seal(textEncoder.encode(JSON.stringify(value)), context);
  }

  /** A stored JSON value as written. */
  openJson<T>(stored: Stored<T>, context: string): T {
    if (!isSealed(stored)) return stored;
    return JSON.parse(textDecoder.decode(this.open(stored, context))) as T;
  }

  /**
   * A content address (64 hex digits): SHA-256 of the text, or with encryption on an
   * HMAC-SHA256 under a key derived from the active payload key, so a stored address does
   * not let anyone who can read the database confirm a guess of the content. After a key
   * rotation the same content gets another address (a cache miss, a new copy).
   */
  address(text: string): string {
    if (this.addressKey === undefined) return createHash('sha256').update(text).digest('hex');
    return createHmac('sha256', this.addressKey).update(text).digest('hex');
  }

  private seal(plaintext: Uint8Array, context: string): Binary {
    const key = (this.keyring as PayloadKeyring).active;
    const id = Buffer.from(key.id, 'utf8');
    const header = Buffer.from([FORMAT_VERSION, id.length]);
    return new Binary(Buffer.concat([header, id, seal(key, plaintext, aad(key.id, context))]));
  }

  private open(stored: Binary, context: string): Buffer {
    const bytes = Buffer.from(stored.value());
    const idLength = bytes[1] ?? 0;
    if (bytes[0] !== FORMAT_VERSION || bytes.length < 2 + idLength) {
      throw new PayloadCodecError(`the stored field ${context} is binary but not a Chassis sealed value`);
    }
    const keyId = bytes.subarray(2, 2 + idLength).toString('utf8');
    if (this.keyring === undefined) {
      throw new PayloadCodecError(
        `the stored field ${context} is encrypted with key "${keyId}" but no key is configured: set CHASSIS_PAYLOAD_KEY (or CHASSIS_PAYLOAD_PREVIOUS_KEYS)`,
      );
    }
    const key = this.keyring.get(keyId);
    try {
      return open(key, bytes.subarray(2 + idLength), aad(keyId, context));
    } catch {
      throw new PayloadCodecError(
        `cannot decrypt the stored field ${context} with key "${keyId}": the key is wrong or the data was altered (or copied from another document)`,
      );
    }
  }
}

/** A BSON binary, by its tag rather than `instanceof` (a document may come from another copy of the driver). */
function isSealed(value: unknown): value is Binary {
  return typeof value === 'object' && value !== null && (value as { _bsontype?: unknown })._bsontype === 'Binary';
}

function aad(keyId: string, context: string): string {
  return `chassis-field\n${keyId}\n${context}`;
}

/** Stores values as they are: for processes without a payload key, and for tests. */
export const PLAIN_FIELDS = new FieldEncryption();
