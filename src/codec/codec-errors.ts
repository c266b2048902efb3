/**
 * A payload could not be encoded or decoded (missing claim-checked blob, unknown key id,
 * tampered ciphertext). The message says what is wrong and what to do.
 */
export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}
