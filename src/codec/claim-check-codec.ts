import { createHash, createHmac } from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import type { ClaimCheckStore } from './claim-check-store';
import { PayloadCodecError } from './codec-errors';
import { open, seal, type PayloadKeyring } from './encryption-keys';
import { ENCODING_KEY, encodingOf, metadataBytes, parsePayload, serializePayload } from './payload-bytes';

/** Encoding of a reference payload; its data is {@link ClaimCheckReference} as JSON. */
export const CLAIM_CHECK_ENCODING = 'binary/chassis-claim-check';

/** @default 64 MB of recently stored or fetched payloads kept in memory per process. */
export const DEFAULT_CLAIM_CHECK_CACHE_BYTES = 64 * 1024 * 1024;

/** What the history keeps instead of a large payload. */
export interface ClaimCheckReference {
  /** Content address in the `payloads` collection. */
  id: string;
  /** Size of the original serialized payload. */
  bytes: number;
}

/** Options of {@link ClaimCheckCodec}. */
export interface ClaimCheckCodecOptions {
  store: ClaimCheckStore;
  /** Payloads whose serialized size is at least this many bytes are stored. */
  thresholdBytes: number;
  /** When set, blobs are encrypted at rest and addressed by an HMAC instead of a plain hash. */
  keyring?: PayloadKeyring;
  /** @default {@link DEFAULT_CLAIM_CHECK_CACHE_BYTES} */
  cacheBytes?: number;
}

/**
 * Small least-recently-used cache of serialized payloads by address. Addresses name
 * immutable content, so a cached entry can never be stale; it saves a MongoDB round trip
 * when a worker decodes what it has just encoded (a workflow's model-call input reaching
 * the model worker of the same process) and on replays after a cache eviction.
 */
class BlobCache {
  private readonly entries = new Map<string, { bytes: Uint8Array; owners: Set<string> }>();
  private size = 0;

  constructor(private readonly capacityBytes: number) {}

  get(id: string): Uint8Array | undefined {
    return this.entry(id)?.bytes;
  }

  /** True when this process already recorded `workflowId` as an owner of the blob. */
  hasOwner(id: string, workflowId: string | undefined): boolean {
    return workflowId === undefined || this.entries.get(id)?.owners.has(workflowId) === true;
  }

  set(id: string, bytes: Uint8Array, owner?: string): void {
    const existing = this.entry(id);
    if (existing !== undefined) {
      if (owner !== undefined) existing.owners.add(owner);
      return;
    }
    if (bytes.length > this.capacityBytes) return;
    this.entries.set(id, { bytes, owners: new Set(owner === undefined ? [] : [owner]) });
    this.size += bytes.length;
    for (const [oldest, value] of this.entries) {
      if (this.size <= this.capacityBytes) break;
      this.entries.delete(oldest);
      this.size -= value.bytes.length;
    }
  }

  private entry(id: string) {
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }
}

/** The workflow whose history will hold an encoded payload, when the SDK says (1.24 serialization context). */
function ownerOf(context: SerializationContext | undefined): string | undefined {
  return context?.workflowId;
}

/**
 * The claim check (docs/architecture.md, decision 6): a payload over the threshold is stored in MongoDB,
 * content-addressed, and the history keeps a reference of a few dozen bytes. The same
 * context sent twice is stored once. Decoding fetches the blob back and fails with a clear
 * error when it is gone.
 */
export class ClaimCheckCodec implements PayloadCodec {
  private readonly cache: BlobCache;

  constructor(private readonly options: ClaimCheckCodecOptions) {
    if (!Number.isInteger(options.thresholdBytes) || options.thresholdBytes < 1) {
      throw new PayloadCodecError(
        `the claim-check threshold must be a positive number of bytes, not ${options.thresholdBytes}`,
      );
    }
    this.cache = new BlobCache(options.cacheBytes ?? DEFAULT_CLAIM_CHECK_CACHE_BYTES);
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const owner = ownerOf(context);
    return Promise.all(payloads.map((payload) => this.encodeOne(payload, owner)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  /** The content address of serialized payload bytes. */
  addressOf(bytes: Uint8Array): string {
    const keyring = this.options.keyring;
    if (keyring === undefined) return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const digest = createHmac('sha256', keyring.contentAddressKey()).update(bytes).digest('hex');
    return `hmac-sha256:${keyring.active.id}:${digest}`;
  }

  private async encodeOne(payload: Payload, owner: string | undefined): Promise<Payload> {
    const bytes = serializePayload(payload);
    if (bytes.length < this.options.thresholdBytes) return payload;
    const id = this.addressOf(bytes);
    // Written when this process has not stored it for this workflow yet: the same content in
    // another workflow's history makes that workflow an owner too (and re-stores the blob if
    // the retention sweep removed it after its earlier owners were gone).
    if (this.cache.get(id) === undefined || !this.cache.hasOwner(id, owner)) {
      const keyring = this.options.keyring;
      await this.options.store.put(
        id,
        {
          data: keyring === undefined ? bytes : seal(keyring.active, bytes, id),
          bytes: bytes.length,
          ...(keyring !== undefined ? { keyId: keyring.active.id } : {}),
        },
        owner,
      );
      this.cache.set(id, bytes, owner);
    }
    const reference: ClaimCheckReference = { id, bytes: bytes.length };
    return {
      metadata: { [ENCODING_KEY]: metadataBytes(CLAIM_CHECK_ENCODING) },
      data: metadataBytes(JSON.stringify(reference)),
    };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    if (encodingOf(payload) !== CLAIM_CHECK_ENCODING) return payload;
    const reference = parseReference(payload);
    const cached = this.cache.get(reference.id);
    if (cached !== undefined) return parsePayload(cached);
    const blob = await this.options.store.get(reference.id);
    if (blob === undefined) {
      throw new PayloadCodecError(
        `claim-checked payload ${reference.id} (${reference.bytes} bytes) is missing from ${this.options.store.location}: it was deleted, or this process uses another MONGODB_URI / MONGODB_DB than the worker that stored it`,
      );
    }
    const bytes = this.openBlob(reference.id, blob);
    this.cache.set(reference.id, bytes);
    return parsePayload(bytes);
  }

  private openBlob(id: string, blob: { data: Uint8Array; keyId?: string }): Uint8Array {
    if (blob.keyId !== undefined) {
      if (this.options.keyring === undefined) {
        throw new PayloadCodecError(
          `claim-checked payload ${id} is encrypted with key "${blob.keyId}" but no key is configured: set CHASSIS_PAYLOAD_KEY (or CHASSIS_PAYLOAD_PREVIOUS_KEYS)`,
        );
      }
      return open(this.options.keyring.get(blob.keyId), blob.data, id);
    }
    if (id.startsWith('sha256:') && `sha256:${createHash('sha256').update(blob.data).digest('hex')}` !== id) {
      throw new PayloadCodecError(
        `claim-checked payload ${id} does not match its address: the stored blob was altered`,
      );
    }
    return blob.data;
  }
}

function parseReference(payload: Payload): ClaimCheckReference {
  let reference: unknown;
  try {
    reference = JSON.parse(new TextDecoder().decode(payload.data ?? new Uint8Array()));
  } catch {
    reference = undefined;
  }
  const candidate = reference as Partial<ClaimCheckReference> | undefined;
  if (typeof candidate?.id !== 'string' || typeof candidate.bytes !== 'number') {
    throw new PayloadCodecError(`a ${CLAIM_CHECK_ENCODING} payload does not hold a {id, bytes} reference`);
  }
  return { id: candidate.id, bytes: candidate.bytes };
}
