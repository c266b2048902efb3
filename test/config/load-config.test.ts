import { describeConfig, loadConfig, usesScriptedModel, isConfigError, type ConfigError } from '../../src/config';

function errorOf(environment: Record<string, string>): ConfigError {
  try {
    loadConfig(environment, '/project');
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults point at the local stack and the scripted model', () => {
    const config = loadConfig({}, '/project');
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'chassis-agent',
      uiUrl: 'http://localhost:8233',
      connection: expect.objectContaining({ address: '127.0.0.1:7233', tls: undefined, apiKey: undefined }),
    });
    expect(config.mongo).toEqual({ uri: 'mongodb://127.0.0.1:27017/', database: 'chassis' });
    expect(config.home).toBe('/project/.chassis');
    expect(config.external).toEqual({ temporal: false, mongo: false });
    expect(usesScriptedModel(config)).toBe(true);
  });

  test('reads every variable it documents', () => {
    const config = loadConfig(
      {
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'agents',
        CHASSIS_TASK_QUEUE: 'q1',
        MONGODB_URI: 'mongodb+srv://user:pw@cluster0.example.net/?retryWrites=true',
        MONGODB_DB: 'chassis_prod',
        OPENAI_API_KEY: 'sk-test-123',
        OPENAI_BASE_URL: 'http://localhost:11434/v1',
        CHASSIS_MODEL: 'llama3',
        CHASSIS_MAX_STEPS: '12',
      },
      '/project',
    );
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.temporal.namespace).toBe('agents');
    expect(config.temporal.taskQueue).toBe('q1');
    expect(config.mongo.database).toBe('chassis_prod');
    expect(config.openai.baseUrl).toBe('http://localhost:11434/v1');
    expect(config.models.pinned).toBe('llama3');
    expect(config.agent.maxSteps).toBe(12);
    expect(config.external).toEqual({ temporal: true, mongo: true });
    expect(usesScriptedModel(config)).toBe(false);
  });

  test('an empty variable counts as unset', () => {
    expect(usesScriptedModel(loadConfig({ OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, '/p'))).toBe(true);
  });

  test('a bad MongoDB URI gets a one-line message naming the variable', () => {
    const error = errorOf({ MONGODB_URI: 'postgres://localhost/db' });
    expect(error.message).toBe(
      'MONGODB_URI is not a valid mongodb:// URI: "postgres://localhost/db" (must start with mongodb:// or mongodb+srv://)',
    );
    expect(error.message).not.toContain('\n');
  });

  test('every problem is reported at once', () => {
    const error = errorOf({ TEMPORAL_ADDRESS: 'no-port', CHASSIS_MAX_STEPS: 'many', OPENAI_BASE_URL: 'not a url' });
    expect(error.message).toContain('TEMPORAL_ADDRESS is invalid: "no-port"');
    expect(error.message).toContain('CHASSIS_MAX_STEPS is invalid');
    expect(error.message).toContain('OPENAI_BASE_URL is invalid');
  });

  test('the outage budget defaults to 5 minutes and is validated', () => {
    expect(loadConfig({}, '/p').resilience).toEqual({ outageBudgetMs: 300_000 });
    expect(loadConfig({ CHASSIS_OUTAGE_BUDGET_MS: '20000' }, '/p').resilience.outageBudgetMs).toBe(20_000);
    expect(errorOf({ CHASSIS_OUTAGE_BUDGET_MS: '5m' }).message).toMatch(/^CHASSIS_OUTAGE_BUDGET_MS is invalid: "5m"/);
    expect(errorOf({ CHASSIS_OUTAGE_BUDGET_MS: '10' }).message).toBe(
      'CHASSIS_OUTAGE_BUDGET_MS is invalid: "10" (must be at least 1000 (1 s))',
    );
  });

  test('secrets never appear in errors or printed config', () => {
    const secret = 'sk-very-secret-value';
    const config = loadConfig({ OPENAI_API_KEY: secret, MONGODB_URI: 'mongodb://admin:hunter2@db:27017/' }, '/p');
    const printed = JSON.stringify(describeConfig(config));
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain('hunter2');
    expect(printed).toContain('"apiKey":"***"');
  });
});

describe('CHASSIS_HTTP_ALLOW_PRIVATE', () => {
  test('unset: http_fetch gets no private addresses; true or a list of ranges is passed on', () => {
    expect(loadConfig({}, '/p').tools.http).toBeUndefined();
    expect(loadConfig({ CHASSIS_HTTP_ALLOW_PRIVATE: 'true' }, '/p').tools.http).toEqual({
      allowPrivateAddresses: true,
    });
    expect(loadConfig({ CHASSIS_HTTP_ALLOW_PRIVATE: '10.0.0.0/8,::1' }, '/p').tools.http).toEqual({
      allowPrivateAddresses: ['10.0.0.0/8', '::1'],
    });
  });

  test('a bad entry is a one-line error naming the variable and the entry', () => {
    expect(errorOf({ CHASSIS_HTTP_ALLOW_PRIVATE: 'intranet' }).message).toBe(
      'CHASSIS_HTTP_ALLOW_PRIVATE is invalid: "intranet" ("intranet" is not an IP address or CIDR range: use true, or a list such as "10.0.0.0/8,127.0.0.1,fd00::/8")',
    );
  });
});
