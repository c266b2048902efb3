import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadCodecError } from './codec-errors';
import { open, seal, type PayloadKeyring } from './encryption-keys';
import { ENCODING_KEY, encodingOf, metadataBytes, metadataText, parsePayload, serializePayload } from './payload-bytes';

/** Encoding of an encrypted payload (the name Temporal's samples and tools use). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted the payload. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata key naming the cipher, so a future cipher can be told apart. */
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';

/**
 * Encrypts whole payloads (metadata and data) with AES-256-GCM; the key id goes in clear
 * metadata so keys can rotate. Payloads that are not encrypted (written before encryption
 * was turned on) decode as they are.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keyring.active;
    return payloads.map((payload) => ({
      metadata: {
        [ENCODING_KEY]: metadataBytes(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: metadataBytes(key.id),
        [CIPHER_METADATA]: metadataBytes(CIPHER),
      },
      data: seal(key, serializePayload(payload), key.id),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (encodingOf(payload) !== ENCRYPTED_ENCODING) return payload;
      const keyId = metadataText(payload, KEY_ID_METADATA);
      if (keyId === undefined) {
        throw new PayloadCodecError(
          `an encrypted payload has no "${KEY_ID_METADATA}" metadata: it was not written by Chassis`,
        );
      }
      const cipher = metadataText(payload, CIPHER_METADATA);
      if (cipher !== undefined && cipher !== CIPHER) {
        throw new PayloadCodecError(
          `an encrypted payload uses cipher "${cipher}"; this version of Chassis reads ${CIPHER} only`,
        );
      }
      return parsePayload(open(this.keyring.get(keyId), payload.data ?? new Uint8Array(), keyId));
    });
  }
}
