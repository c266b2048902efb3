import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

/**
 * JSON with object keys sorted at every depth, so `{a:1,b:2}` and `{b:2,a:1}` give the
 * same text. Values follow `JSON.stringify` (undefined fields dropped, dates as ISO text).
 */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}

/** Hex SHA-256 of a text. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The result-cache key of a call: tool name, policy version and the canonical JSON of the
 * validated arguments, hashed. A new `version` never sees results of the old one.
 */
export function toolCacheKey(tool: string, version: string, args: unknown): string {
  // Newline-separated so that ("ab", "c") and ("a", "bc") cannot collide.
  return sha256(`${tool}\n${version}\n${canonicalJson(args)}`);
}
