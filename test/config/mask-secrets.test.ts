import { randomBytes } from 'node:crypto';
import { describeConfig, loadConfig } from '../../src/config';
import { maskSecrets, maskUri, secretValuesFromEnvironment } from '../../src/config/mask-secrets';

describe('maskUri', () => {
  test.each([
    ['mongodb://admin:hunter22@db:27017/', 'mongodb://admin:***@db:27017/'],
    [
      'mongodb+srv://user:p%40ss@cluster0.example.net/?retryWrites=true',
      'mongodb+srv://user:***@cluster0.example.net/?retryWrites=true',
    ],
    ['mongodb://a:b@h1:1,h2:2/db?replicaSet=rs', 'mongodb://a:***@h1:1,h2:2/db?replicaSet=rs'],
    // Unescaped "@" and "/" in the password: the URI does not parse; more is masked, never less.
    ['mongodb://admin:p@ss/wd@db:27017/', 'mongodb://admin:***@db:27017/'],
    ['mongodb://admin:my pass@db host:27017/', 'mongodb://admin:***@db host:27017/'],
    ['https://sk-token-in-user@proxy.example/v1', 'https://***@proxy.example/v1'],
    [
      'mongodb://db/?authMechanismProperties=AWS_SESSION_TOKEN:abc123&authSource=admin',
      'mongodb://db/?authMechanismProperties=***&authSource=admin',
    ],
    ['http://host/path?api_key=abcdef&page=2', 'http://host/path?api_key=***&page=2'],
    ['mongodb://127.0.0.1:27017/', 'mongodb://127.0.0.1:27017/'],
    ['http://localhost:8233', 'http://localhost:8233'],
  ])('%s', (uri, masked) => {
    expect(maskUri(uri)).toBe(masked);
  });
});

describe('secretValuesFromEnvironment and maskSecrets', () => {
  const key = randomBytes(32).toString('base64');
  const environment = {
    OPENAI_API_KEY: 'sk-live-abcdef123456',
    CHASSIS_PAYLOAD_KEY: `main:${key}`,
    CHASSIS_PAYLOAD_PREVIOUS_KEYS: 'old-key-value-1,old-key-value-2',
    CHASSIS_CODEC_SERVER_TOKEN: 'codec-token-xyz',
    MONGODB_URI: 'mongodb://admin:p%40ssw0rd!@db:27017/',
    CHASSIS_MODEL: 'gpt-4.1-mini',
    PATH: '/usr/bin:/bin',
  };

  test('collects key, token and password values, not ordinary settings', () => {
    const secrets = secretValuesFromEnvironment(environment);
    for (const secret of [
      'sk-live-abcdef123456',
      key,
      'old-key-value-1',
      'old-key-value-2',
      'codec-token-xyz',
      'p%40ssw0rd!',
      'p@ssw0rd!',
    ]) {
      expect(secrets).toContain(secret);
    }
    expect(secrets).not.toContain('gpt-4.1-mini');
    expect(secrets).not.toContain('/usr/bin:/bin');
  });

  test('masks URIs in free text and every known secret, however it got there', () => {
    const secrets = secretValuesFromEnvironment(environment);
    const text =
      'MongoServerError: bad auth for mongodb://admin:p%40ssw0rd!@db:27017/ (password p@ssw0rd!), ' +
      `key ${key}, header Bearer codec-token-xyz, sk-live-abcdef123456`;
    const masked = maskSecrets(text, secrets);
    for (const secret of ['p%40ssw0rd!', 'p@ssw0rd!', key, 'codec-token-xyz', 'sk-live-abcdef123456']) {
      expect(masked).not.toContain(secret);
    }
    expect(masked).toBe(
      'MongoServerError: bad auth for mongodb://admin:***@db:27017/ (password ***), key ***, header Bearer ***, ***',
    );
  });
});

describe('describeConfig', () => {
  test('prints no key, token, password or MCP server environment value', () => {
    const key = randomBytes(32).toString('base64');
    const config = loadConfig(
      {
        OPENAI_API_KEY: 'sk-very-secret-value',
        OPENAI_BASE_URL: 'https://user:base-url-password@llm.example/v1',
        MONGODB_URI: 'mongodb://admin:hunter22@db:27017/',
        CHASSIS_PAYLOAD_KEY: key,
        CHASSIS_CODEC_SERVER_TOKEN: 'codec-token-value',
        CHASSIS_MCP_SERVERS: JSON.stringify([
          { name: 'gh', command: 'npx', args: ['server'], env: { GITHUB_TOKEN: 'ghp_mcp_secret_value' } },
        ]),
      },
      '/p',
    );
    const printed = JSON.stringify(describeConfig(config));
    for (const secret of [
      'sk-very-secret-value',
      'base-url-password',
      'hunter22',
      key,
      'codec-token-value',
      'ghp_mcp_secret_value',
    ]) {
      expect(printed).not.toContain(secret);
    }
    expect(printed).toContain('"uri":"mongodb://admin:***@db:27017/"');
    expect(printed).toContain('"encryptionKeyIds":["k-');
    expect(printed).toContain('"env":{"GITHUB_TOKEN":"***"}');
  });

  test('an invalid MongoDB URI is named in the error without its password', () => {
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://admin:hunter22@db host:27017/' }, '/p')).toThrow(
      'MONGODB_URI is not a valid mongodb:// URI: "mongodb://admin:***@db host:27017/" (Invalid URL)',
    );
    expect(() => loadConfig({ OPENAI_BASE_URL: 'https://user:hunter22@ bad' }, '/p')).toThrow(
      /^OPENAI_BASE_URL is invalid: "https:\/\/user:\*\*\*@ bad"/,
    );
  });
});
