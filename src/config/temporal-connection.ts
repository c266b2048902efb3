import type { ConnectionOptions } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from './config-error';
import { maskSecrets, secretValuesFromEnvironment } from './mask-secrets';

/** The local dev server's address: used when neither the environment nor a profile names one. */
export const LOCAL_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/**
 * How every Chassis process (CLI, workers, codec server) reaches Temporal, read with
 * Temporal's own conventions (`@temporalio/envconfig`): a profile of the TOML config file
 * (`TEMPORAL_CONFIG_FILE`, else `~/.config/temporalio/temporal.toml`; `TEMPORAL_PROFILE`,
 * else `default`), overridden by `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
 * `TEMPORAL_API_KEY`, `TEMPORAL_TLS*` and `TEMPORAL_GRPC_META_*`.
 */
export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  /** Sent as `authorization: Bearer <key>`. Never logged, never a workflow argument. */
  apiKey: string | undefined;
  /** `true`: TLS with the system's roots; an object: custom CA, SNI or client certificate (mTLS); `false`/unset: plain text. */
  tls: TLSConfig | boolean | undefined;
  /** Extra gRPC headers (`TEMPORAL_GRPC_META_*`, a profile's `grpc_meta`). */
  metadata: Record<string, string> | undefined;
  /** The profile read, when one was asked for (`TEMPORAL_PROFILE`) or a config file had a `default` one. */
  profile: string | undefined;
  /** True when the address came from the environment or a profile (nothing is started locally). */
  external: boolean;
}

const hostPort = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

function definedEntries(environment: Record<string, string | undefined>): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment))
    if (value !== undefined && value !== '') entries[name] = value;
  return entries;
}

/** The environment-and-file profile, with file and TOML errors as one-line config errors. */
function readProfile(environment: Record<string, string>): ClientConfigProfile {
  try {
    return loadClientConfigProfile({ overrideEnvVars: environment });
  } catch (error) {
    // TOML parse errors quote the file over several lines: the first says what is wrong.
    const firstLine = ((error as Error).message.split('\n')[0] ?? '').replace(/[\s·:]+$/, '');
    const message = maskSecrets(firstLine, secretValuesFromEnvironment(environment));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        `a Temporal connection file is missing (${message}): check TEMPORAL_CONFIG_FILE and the TEMPORAL_TLS_*_PATH variables`,
      );
    }
    if (/^Profile '.*' not found/.test(message)) {
      throw new ConfigError(
        `TEMPORAL_PROFILE is invalid (${message}): name a [profile.<name>] of the Temporal config file (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml)`,
      );
    }
    throw new ConfigError(
      `the Temporal config file could not be read (${message}): fix it, or point TEMPORAL_CONFIG_FILE at another`,
    );
  }
}

/**
 * Reads the Temporal connection settings once, at start-up.
 *
 * @throws {ConfigError} for a bad address, a missing profile or certificate file, or half a client certificate pair
 */
export function loadTemporalConnection(
  environment: Record<string, string | undefined> = process.env,
): TemporalConnectionSettings {
  const defined = definedEntries(environment);
  const profile = readProfile(defined);
  const tls = profile.tls;
  if (tls !== undefined && tls.disabled !== true && (tls.clientCert === undefined) !== (tls.clientKey === undefined)) {
    throw new ConfigError(
      tls.clientCert === undefined
        ? 'a TLS client key is set without its certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) too, for mTLS'
        : 'a TLS client certificate is set without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) too, for mTLS',
    );
  }
  let options;
  try {
    options = toClientOptions(profile);
  } catch (error) {
    throw new ConfigError(
      `a TLS certificate or key file could not be read (${(error as Error).message}): check the TEMPORAL_TLS_*_PATH variables`,
    );
  }
  const address = profile.address ?? LOCAL_TEMPORAL_ADDRESS;
  if (!hostPort.test(address)) {
    throw new ConfigError(
      `the Temporal address is invalid: ${JSON.stringify(address)} (must be host:port, e.g. 127.0.0.1:7233; from TEMPORAL_ADDRESS or the profile's address)`,
    );
  }
  // Read from the profile, not the converted options: envconfig's values are strings.
  const metadata = profile.grpcMeta;
  return {
    address,
    namespace: profile.namespace ?? 'default',
    apiKey: profile.apiKey,
    tls: options.connectionOptions.tls ?? undefined,
    metadata: metadata === undefined || Object.keys(metadata).length === 0 ? undefined : { ...metadata },
    profile: defined.TEMPORAL_PROFILE,
    external: profile.address !== undefined,
  };
}

/** Options for a client `Connection` (CLI, codec server); add timeouts and channel arguments as needed. */
export function clientConnectionOptions(settings: TemporalConnectionSettings): ConnectionOptions {
  return {
    address: settings.address,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
    ...(settings.metadata === undefined ? {} : { metadata: settings.metadata }),
  };
}

/** Options for a worker's `NativeConnection`. */
export function nativeConnectionOptions(settings: TemporalConnectionSettings): NativeConnectionOptions {
  return {
    address: settings.address,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
    ...(settings.metadata === undefined ? {} : { metadata: settings.metadata }),
  };
}

/** How the connection is secured, for start-up lines: never the key or a certificate. */
export function describeTemporalSecurity(settings: TemporalConnectionSettings): string {
  const parts: string[] = [];
  if (settings.tls === undefined || settings.tls === false) parts.push('plain text');
  else if (typeof settings.tls === 'object' && settings.tls.clientCertPair !== undefined) parts.push('mTLS');
  else parts.push('TLS');
  if (settings.apiKey !== undefined) parts.push('API key');
  if (settings.profile !== undefined) parts.push(`profile "${settings.profile}"`);
  return parts.join(', ');
}
