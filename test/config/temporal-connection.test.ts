import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describeConfig,
  loadConfig,
  secretValuesFromEnvironment,
  isConfigError,
  type ConfigError,
} from '../../src/config';
import {
  clientConnectionOptions,
  describeTemporalSecurity,
  loadTemporalConnection,
  nativeConnectionOptions,
} from '../../src/config/temporal-connection';

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-temporal-connection-'));
const caPath = path.join(folder, 'ca.pem');
const certPath = path.join(folder, 'client.pem');
const keyPath = path.join(folder, 'client.key');
fs.writeFileSync(caPath, 'CA BYTES');
fs.writeFileSync(certPath, 'CERT BYTES');
fs.writeFileSync(keyPath, 'KEY BYTES');
const configFile = path.join(folder, 'temporal.toml');
fs.writeFileSync(
  configFile,
  [
    '[profile.default]',
    'address = "default.example:7233"',
    '',
    '[profile.prod]',
    'address = "prod.tmprl.cloud:7233"',
    'namespace = "prod.a1b2c"',
    'api_key = "profile-api-key-123456"',
    '[profile.prod.tls]',
    `server_ca_cert_path = "${caPath}"`,
    'server_name = "prod.internal"',
    '',
    '[profile.mtls]',
    'address = "mtls.example:7233"',
    '[profile.mtls.tls]',
    `client_cert_path = "${certPath}"`,
    `client_key_path = "${keyPath}"`,
  ].join('\n'),
);

afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

describe('loadTemporalConnection', () => {
  test('without settings: the local dev server in plain text, nothing external', () => {
    const settings = loadTemporalConnection({});
    expect(settings).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      apiKey: undefined,
      tls: undefined,
      metadata: undefined,
      profile: undefined,
      external: false,
    });
    expect(describeTemporalSecurity(settings)).toBe('plain text');
  });

  test('TEMPORAL_API_KEY turns TLS on (Temporal Cloud) and reaches both connection kinds', () => {
    const settings = loadTemporalConnection({
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key-value',
    });
    expect(settings).toMatchObject({
      address: 'my-ns.a1b2c.tmprl.cloud:7233',
      namespace: 'my-ns.a1b2c',
      apiKey: 'secret-api-key-value',
      tls: true,
      external: true,
    });
    expect(clientConnectionOptions(settings)).toEqual({
      address: 'my-ns.a1b2c.tmprl.cloud:7233',
      tls: true,
      apiKey: 'secret-api-key-value',
    });
    expect(nativeConnectionOptions(settings)).toEqual(clientConnectionOptions(settings));
    expect(describeTemporalSecurity(settings)).toBe('TLS, API key');
  });

  test('TEMPORAL_TLS_* variables give mTLS with a custom CA and server name', () => {
    const settings = loadTemporalConnection({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: caPath,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certPath,
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'INLINE KEY',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const tls = settings.tls;
    if (typeof tls !== 'object') throw new Error(`expected a TLS object, got ${String(tls)}`);
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(text(tls.serverRootCACertificate)).toBe('CA BYTES');
    expect(text(tls.clientCertPair?.crt)).toBe('CERT BYTES');
    expect(text(tls.clientCertPair?.key)).toBe('INLINE KEY');
    expect(describeTemporalSecurity(settings)).toBe('mTLS');
  });

  test('a profile of the config file, with environment variables on top', () => {
    const settings = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'prod' });
    expect(settings).toMatchObject({
      address: 'prod.tmprl.cloud:7233',
      namespace: 'prod.a1b2c',
      apiKey: 'profile-api-key-123456',
      profile: 'prod',
      external: true,
    });
    expect(typeof settings.tls === 'object' && text(settings.tls.serverRootCACertificate)).toBe('CA BYTES');
    expect(describeTemporalSecurity(settings)).toBe('TLS, API key, profile "prod"');

    const overridden = loadTemporalConnection({
      TEMPORAL_CONFIG_FILE: configFile,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'staging.a1b2c',
    });
    expect(overridden.namespace).toBe('staging.a1b2c');
    expect(overridden.address).toBe('prod.tmprl.cloud:7233');

    // Without TEMPORAL_PROFILE the file's default profile is read.
    expect(loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile }).address).toBe('default.example:7233');
    const mtls = loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'mtls' });
    expect(describeTemporalSecurity(mtls)).toBe('mTLS, profile "mtls"');
  });

  test('TEMPORAL_GRPC_META_* become gRPC headers', () => {
    const settings = loadTemporalConnection({ TEMPORAL_GRPC_META_X_TENANT: 'blue' });
    expect(settings.metadata).toEqual({ 'x-tenant': 'blue' });
    expect(clientConnectionOptions(settings).metadata).toEqual({ 'x-tenant': 'blue' });
  });

  test('bad settings are one-line config errors that say what to do', () => {
    expect(
      configErrorOf(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'nope' }))
        .message,
    ).toMatch(/^TEMPORAL_PROFILE is invalid \(Profile 'nope' not found in config data\): name a \[profile\.<name>\]/);
    expect(configErrorOf(() => loadTemporalConnection({ TEMPORAL_TLS_CLIENT_CERT_PATH: certPath })).message).toMatch(
      /client certificate is set without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    const missing = configErrorOf(() =>
      loadTemporalConnection({
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(folder, 'absent.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: keyPath,
      }),
    );
    expect(missing.message).toMatch(/absent\.pem.*check the TEMPORAL_TLS_\*_PATH variables/);
    expect(missing.message).not.toContain('\n');
    const badFile = path.join(folder, 'broken.toml');
    fs.writeFileSync(badFile, '[profile.default\naddress = ');
    expect(configErrorOf(() => loadTemporalConnection({ TEMPORAL_CONFIG_FILE: badFile })).message).toMatch(
      /^the Temporal config file could not be read .*point TEMPORAL_CONFIG_FILE at another$/,
    );
    expect(
      configErrorOf(() =>
        loadTemporalConnection({
          TEMPORAL_CONFIG_FILE: configFile,
          TEMPORAL_PROFILE: 'prod',
          TEMPORAL_ADDRESS: 'no-port',
        }),
      ).message,
    ).toMatch(/Temporal address is invalid: "no-port"/);
  });
});

describe('the API key and client key are never printed', () => {
  test('describeConfig masks the key, the client key and header values', () => {
    const config = loadConfig(
      {
        TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233',
        TEMPORAL_API_KEY: 'very-secret-api-key',
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT',
        TEMPORAL_TLS_CLIENT_KEY_DATA: 'very-secret-client-key',
        TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer very-secret-header',
      },
      '/project',
    );
    expect(config.temporal.connection.apiKey).toBe('very-secret-api-key');
    expect(config.external.temporal).toBe(true);
    const printed = JSON.stringify(describeConfig(config));
    expect(printed).not.toContain('very-secret');
    expect(printed).toContain('"apiKey":"***"');
  });

  test('Temporal secret variables count as secrets for masking free text', () => {
    const secrets = secretValuesFromEnvironment({
      TEMPORAL_API_KEY: 'api-key-value',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'client-key-value',
      TEMPORAL_CODEC_AUTH: 'Bearer codec-token',
      TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer header-token',
      TEMPORAL_TLS_SERVER_NAME: 'not-a-secret',
    });
    expect(secrets).toEqual(
      expect.arrayContaining(['api-key-value', 'client-key-value', 'Bearer codec-token', 'Bearer header-token']),
    );
    expect(secrets).not.toContain('not-a-secret');
  });
});
