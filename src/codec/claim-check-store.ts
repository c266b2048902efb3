import { Binary, MongoServerError, type Collection, type Db } from 'mongodb';

/** The collection holding claim-checked payloads; nothing else spells its name. */
export const PAYLOADS_COLLECTION = 'payloads';

/** A claim-checked payload as stored in MongoDB. */
export interface StoredPayloadDocument {
  /** The content address: `sha256:<hex>` of the payload, or `hmac-sha256:<key id>:<hex>` when encrypted. */
  _id: string;
  /** The serialized payload, AES-256-GCM encrypted when `keyId` is set. */
  data: Binary;
  /** Size of the serialized payload before encryption. */
  bytes: number;
  /** The key that encrypted `data`; absent when stored in clear. */
  keyId?: string;
  createdAt: Date;
}

/** What {@link ClaimCheckStore.get} returns. */
export interface StoredBlob {
  data: Uint8Array;
  keyId?: string;
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Content-addressed payload blobs in MongoDB. A blob is written once (upsert with
 * `$setOnInsert`) and never changed, so any number of histories can point at it and the
 * same working context sent at two steps is stored once. Blobs are kept until deleted:
 * deleting one breaks the replay and the UI view of every history that points at it.
 */
export class ClaimCheckStore {
  private readonly collection: Collection<StoredPayloadDocument>;

  constructor(
    db: Db,
    /** Shown in errors so a user can tell which database was searched. */
    readonly location = `collection "${PAYLOADS_COLLECTION}" of database "${db.databaseName}"`,
  ) {
    this.collection = db.collection<StoredPayloadDocument>(PAYLOADS_COLLECTION);
  }

  /** Stores a blob under its address unless one is there already (same address, same content). */
  async put(id: string, blob: { data: Uint8Array; bytes: number; keyId?: string }): Promise<void> {
    try {
      await this.collection.updateOne(
        { _id: id },
        {
          $setOnInsert: {
            data: new Binary(blob.data),
            bytes: blob.bytes,
            ...(blob.keyId !== undefined ? { keyId: blob.keyId } : {}),
            createdAt: new Date(),
          },
        },
        { upsert: true },
      );
    } catch (error) {
      // Two processes stored the same content at once: the other one won, which is fine.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  /** The blob at an address, or undefined. */
  async get(id: string): Promise<StoredBlob | undefined> {
    const document = await this.collection.findOne({ _id: id });
    if (document === null) return undefined;
    return { data: document.data.buffer, ...(document.keyId !== undefined ? { keyId: document.keyId } : {}) };
  }
}
