import { Binary, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError } from '../tools/mongo-support';

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
  /**
   * The workflows whose histories hold a reference to it (and so need it to be read or
   * replayed); the retention sweep keeps it while any of them (or a parent) has a history.
   * Absent on blobs stored before owners were recorded.
   */
  workflowIds?: string[];
  /** The last time a workflow was recorded as referencing it. */
  lastUsedAt?: Date;
}

/** What {@link ClaimCheckStore.get} returns. */
export interface StoredBlob {
  data: Uint8Array;
  keyId?: string;
}

/**
 * Content-addressed payload blobs in MongoDB. A blob's content is written once (upsert with
 * `$setOnInsert`) and never changed, so any number of histories can point at it and the
 * same working context sent at two steps is stored once. Each blob lists the workflows that
 * reference it: deleting one breaks the replay and the UI view of every history that points
 * at it, so the retention sweep (`chassis gc`) deletes only blobs none of whose workflows
 * has a history any more.
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

  /**
   * Stores a blob under its address unless one is there already (same address, same
   * content), and records `workflowId` as one of its owners.
   */
  async put(id: string, blob: { data: Uint8Array; bytes: number; keyId?: string }, workflowId?: string): Promise<void> {
    const now = new Date();
    try {
      await this.collection.updateOne(
        { _id: id },
        {
          $setOnInsert: {
            data: new Binary(blob.data),
            bytes: blob.bytes,
            ...(blob.keyId !== undefined ? { keyId: blob.keyId } : {}),
            createdAt: now,
          },
          $set: { lastUsedAt: now },
          ...(workflowId !== undefined ? { $addToSet: { workflowIds: workflowId } } : {}),
        },
        { upsert: true },
      );
    } catch (error) {
      // Two processes stored the same content at once: the other one won; record the owner on it.
      if (!isDuplicateKeyError(error)) throw error;
      if (workflowId !== undefined) {
        await this.collection.updateOne(
          { _id: id },
          { $addToSet: { workflowIds: workflowId }, $set: { lastUsedAt: now } },
        );
      }
    }
  }

  /** The blob at an address, or undefined. */
  async get(id: string): Promise<StoredBlob | undefined> {
    const document = await this.collection.findOne({ _id: id });
    if (document === null) return undefined;
    return { data: document.data.buffer, ...(document.keyId !== undefined ? { keyId: document.keyId } : {}) };
  }
}
