import { ConfigError } from './config-error';
import { checkDistinctKeyIds, parsePayloadKey, type PayloadKey, type PayloadKeys } from './payload-keys';
import { settingValue } from './setting-value';

/** @default 8 KB: a model call's working context is claim-checked, a short tool result stays inline. */
export const DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES = 8 * 1024;

/** How payloads are encoded, read once from the environment. */
export interface CodecSettings {
  /** Payloads at least this big go to MongoDB; `undefined` turns the claim check off. @default 8192 */
  claimCheckThresholdBytes: number | undefined;
  /**
   * Set when `CHASSIS_PAYLOAD_KEY` is: payloads are encrypted (the codec's `PayloadKeyring.of`
   * turns them into a keyring). @default undefined (no encryption)
   */
  payloadKeys: PayloadKeys | undefined;
  /** Bearer token the codec server requires, from `CHASSIS_CODEC_SERVER_TOKEN`. @default none */
  codecServerToken: string | undefined;
}

/** Smallest threshold accepted: below it every reference would cost a database round trip for nothing. */
const MINIMUM_THRESHOLD_BYTES = 256;

/**
 * Reads the codec settings from the environment:
 *
 * - `CHASSIS_CLAIM_CHECK_BYTES`: threshold in bytes (default 8192), or `off`;
 * - `CHASSIS_PAYLOAD_KEY`: base64 of 32 random bytes (`openssl rand -base64 32`), optionally
 *   `id:base64`; turns encryption on. `CHASSIS_PAYLOAD_KEY_ID` names it (default: a
 *   fingerprint of the key);
 * - `CHASSIS_PAYLOAD_PREVIOUS_KEYS`: comma-separated older keys (`base64` or `id:base64`),
 *   used only to decrypt, during a rotation;
 * - `CHASSIS_CODEC_SERVER_TOKEN`: bearer token `chassis codec-server` requires; when unset,
 *   Temporal's own `TEMPORAL_CODEC_AUTH` (what the `temporal` CLI sends to a codec endpoint,
 *   `Bearer <token>`), so one environment configures both ends.
 *
 * @throws {ConfigError} naming the bad variable, never echoing a key.
 */
export function loadCodecSettings(environment: Record<string, string | undefined> = process.env): CodecSettings {
  const value = (name: string) => settingValue(environment, name);
  return {
    claimCheckThresholdBytes: threshold(value('CHASSIS_CLAIM_CHECK_BYTES')),
    payloadKeys: payloadKeys(
      value('CHASSIS_PAYLOAD_KEY'),
      value('CHASSIS_PAYLOAD_KEY_ID'),
      value('CHASSIS_PAYLOAD_PREVIOUS_KEYS'),
    ),
    codecServerToken: value('CHASSIS_CODEC_SERVER_TOKEN') ?? bearerToken(value('TEMPORAL_CODEC_AUTH')),
  };
}

/** The token of an `Authorization` value (`Bearer <token>`, or the bare token). */
function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const token = authorization.replace(/^Bearer\s+/i, '').trim();
  return token === '' ? undefined : token;
}

function threshold(raw: string | undefined): number | undefined {
  if (raw === undefined) return DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;
  if (/^(off|false|0)$/i.test(raw)) return undefined;
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes < MINIMUM_THRESHOLD_BYTES) {
    throw new ConfigError(
      `CHASSIS_CLAIM_CHECK_BYTES is invalid: ${JSON.stringify(raw)} (use a number of bytes >= ${MINIMUM_THRESHOLD_BYTES}, e.g. 8192, or "off")`,
    );
  }
  return bytes;
}

function payloadKeys(
  active: string | undefined,
  activeId: string | undefined,
  previous: string | undefined,
): PayloadKeys | undefined {
  if (active === undefined) {
    if (previous !== undefined || activeId !== undefined) {
      throw new ConfigError(
        'CHASSIS_PAYLOAD_PREVIOUS_KEYS or CHASSIS_PAYLOAD_KEY_ID is set without CHASSIS_PAYLOAD_KEY: set the active key too, or unset them',
      );
    }
    return undefined;
  }
  const older: PayloadKey[] = (previous ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, index) => parsePayloadKey(entry, `CHASSIS_PAYLOAD_PREVIOUS_KEYS entry ${index + 1}`));
  const keys = { active: parsePayloadKey(active, 'CHASSIS_PAYLOAD_KEY', activeId), previous: older };
  checkDistinctKeyIds([keys.active, ...keys.previous]);
  return keys;
}
