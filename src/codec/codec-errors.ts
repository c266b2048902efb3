import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * A payload could not be encoded or decoded (missing claim-checked blob, unknown key id,
 * tampered ciphertext). The message says what is wrong and what to do.
 */
export class PayloadCodecError extends ChassisError {
  override readonly name = 'PayloadCodecError';
}

/** True for a {@link PayloadCodecError} from any copy of this module. */
export const isPayloadCodecError = markErrorClass(PayloadCodecError, 'PayloadCodecError');
