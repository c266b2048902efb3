// The payload codec chain: claim check (MongoDB) then AES-256-GCM encryption, and the codec server.
export { ClaimCheckCodec, CLAIM_CHECK_ENCODING, DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES } from './claim-check-codec';
export type { ClaimCheckReference } from './claim-check-codec';
export { ClaimCheckStore, PAYLOADS_COLLECTION } from './claim-check-store';
export { PayloadCodecError } from './codec-errors';
export { startCodecServer } from './codec-server';
export type { CodecServer, CodecServerOptions } from './codec-server';
export { loadCodecSettings } from './codec-settings';
export type { CodecSettings } from './codec-settings';
export { createDataConverter, createPayloadCodecs } from './data-converter';
export type { PayloadCodecOptions } from './data-converter';
export { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from './encryption-codec';
export { deriveKeyId, parsePayloadKey, PayloadKeyring } from './encryption-keys';
export type { PayloadKey } from './encryption-keys';
export { dataConverterPlugin } from './codec-plugin';
export type { DataConverterPlugin } from './codec-plugin';
