import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Metadata key every Temporal payload uses for its encoding name. */
export const ENCODING_KEY = 'encoding';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** A whole payload (metadata and data) as protobuf bytes, the form codecs hash, store and encrypt. */
export function serializePayload(payload: Payload): Uint8Array {
  return temporal.api.common.v1.Payload.encode(payload).finish();
}

/** The inverse of {@link serializePayload}. */
export function parsePayload(bytes: Uint8Array): Payload {
  return temporal.api.common.v1.Payload.decode(bytes);
}

/** The payload's `encoding` metadata as text, or undefined. */
export function encodingOf(payload: Payload): string | undefined {
  const value = payload.metadata?.[ENCODING_KEY];
  return value === undefined || value === null ? undefined : textDecoder.decode(value);
}

/** A metadata value as text. */
export function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value === undefined || value === null ? undefined : textDecoder.decode(value);
}

/** Text as metadata bytes. */
export function metadataBytes(text: string): Uint8Array {
  return textEncoder.encode(text);
}
