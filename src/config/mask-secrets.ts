/** What a masked secret is replaced with. */
export const MASK = '***';

/** Query parameters whose values are credentials (MongoDB's and common API ones). */
const SECRET_PARAMETER =
  /^(password|passwd|pwd|pass|secret|token|access_token|api[-_]?key|apikey|key|sig|signature|credential|credentials|authmechanismproperties|tlscertificatekeyfilepassword|sslpass(word)?)$/i;

/**
 * Environment variable names whose values are secrets, whatever the variable; `KEY_DATA`,
 * `_AUTH` and `AUTHORIZATION` cover Temporal's `TEMPORAL_TLS_CLIENT_KEY_DATA`,
 * `TEMPORAL_CODEC_AUTH` and `TEMPORAL_GRPC_META_AUTHORIZATION`.
 */
const SECRET_VARIABLE_NAME = /(KEYS?|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|KEY_DATA|_AUTH|AUTHORIZATION)$/i;

/** True when an environment variable's name says its value is a secret (`OPENAI_API_KEY`, `…_TOKEN`). */
export function isSecretVariableName(name: string): boolean {
  return SECRET_VARIABLE_NAME.test(name);
}

/** Known secrets shorter than this are not masked in free text: masking "a" would garble every message. */
const MINIMUM_MASKED_LENGTH = 6;

/**
 * Masks the credentials of a URI: the password in `scheme://user:password@host` (the user
 * name too when there is no password, as in `https://token@host`) and the values of
 * credential query parameters (`password=`, `authMechanismProperties=`, `token=`…).
 * Works on URIs that do not parse (an unescaped `@` or `/` in a password), where it masks
 * more rather than less.
 */
export function maskUri(uri: string): string {
  const parts = splitUserinfo(uri);
  if (parts === undefined) return maskQueryParameters(uri);
  const { scheme, userinfo, rest } = parts;
  if (userinfo === undefined) return `${scheme}${maskQueryParameters(rest)}`;
  const colon = userinfo.indexOf(':');
  const shown = colon === -1 ? MASK : `${userinfo.slice(0, colon)}:${MASK}`;
  return `${scheme}${shown}@${maskQueryParameters(rest)}`;
}

/** `scheme://`, the userinfo before the host (if any) and what follows the "@". */
function splitUserinfo(uri: string): { scheme: string; userinfo: string | undefined; rest: string } | undefined {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri)?.[0];
  if (scheme === undefined) return undefined;
  const afterScheme = uri.slice(scheme.length);
  const queryStart = afterScheme.search(/[?#]/);
  const beforeQuery = queryStart === -1 ? afterScheme : afterScheme.slice(0, queryStart);
  const authorityEnd = beforeQuery.indexOf('/');
  const authority = authorityEnd === -1 ? beforeQuery : beforeQuery.slice(0, authorityEnd);
  // An unescaped "/" in a password ends the authority early. A MongoDB URI's path is only a
  // database name, which never holds "@", so there the last "@" before the query ends the
  // credentials; elsewhere ("https://host/@user") only when the URI does not parse.
  const mongo = /^mongodb(\+srv)?:/i.test(scheme);
  let at = mongo ? beforeQuery.lastIndexOf('@') : authority.lastIndexOf('@');
  if (at === -1 && !parses(uri)) at = beforeQuery.lastIndexOf('@');
  if (at === -1) return { scheme, userinfo: undefined, rest: afterScheme };
  return { scheme, userinfo: afterScheme.slice(0, at), rest: afterScheme.slice(at + 1) };
}

function parses(uri: string): boolean {
  try {
    new URL(uri.replace(/^mongodb(\+srv)?:/, 'http:'));
    return true;
  } catch {
    return false;
  }
}

function maskQueryParameters(text: string): string {
  return text.replace(/([?&;])([^=&#\s]+)=([^&#\s]*)/g, (whole, separator: string, name: string) =>
    SECRET_PARAMETER.test(name) ? `${separator}${name}=${MASK}` : whole,
  );
}

/**
 * The secret values a process holds, from its environment: every variable whose name says
 * it is a key, token, secret or password (`OPENAI_API_KEY`, `CHASSIS_PAYLOAD_KEY`, a
 * catalog endpoint's key variable…), each entry of a comma-separated key list, and the
 * password of every URI-valued variable (`MONGODB_URI`), raw and percent-decoded.
 */
export function secretValuesFromEnvironment(environment: Record<string, string | undefined> = process.env): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined || value.trim() === '') continue;
    if (isSecretVariableName(name)) {
      secrets.add(value.trim());
      for (const entry of value.split(',')) {
        const trimmed = entry.trim();
        secrets.add(trimmed);
        // `id:base64` payload keys: the key part alone is the secret.
        const key = trimmed.slice(trimmed.lastIndexOf(':') + 1);
        if (key !== trimmed) secrets.add(key);
      }
    }
    for (const password of uriPasswords(value)) {
      secrets.add(password);
      try {
        secrets.add(decodeURIComponent(password));
      } catch {
        // Not percent-encoded text: the raw form is already masked.
      }
    }
  }
  return [...secrets].filter((secret) => secret.length >= MINIMUM_MASKED_LENGTH);
}

function uriPasswords(value: string): string[] {
  const userinfo = splitUserinfo(value.trim())?.userinfo;
  if (userinfo === undefined) return [];
  const colon = userinfo.indexOf(':');
  const password = colon === -1 ? userinfo : userinfo.slice(colon + 1);
  return password === '' ? [] : [password];
}

/**
 * Masks secrets in free text (an error message, a log line): the credentials of every URI
 * in it (see {@link maskUri}) and every occurrence of a known secret value, longest first.
 *
 * @param secrets values to mask wherever they appear, e.g. from {@link secretValuesFromEnvironment}
 */
export function maskSecrets(text: string, secrets: readonly string[] = secretValuesFromEnvironment()): string {
  let masked = text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>()]+/g, (uri) => maskUri(uri));
  const ordered = [...secrets].filter((secret) => secret.length >= MINIMUM_MASKED_LENGTH);
  ordered.sort((a, b) => b.length - a.length);
  for (const secret of ordered) masked = masked.split(secret).join(MASK);
  return masked;
}
