import { chaosWorkerEnvironment } from '../../../src/testing/chaos/worker-environment';

describe('chaosWorkerEnvironment', () => {
  const targets = {
    temporalAddress: '127.0.0.1:41000',
    mongoUri: 'mongodb://127.0.0.1:41001/',
    taskQueue: 'chaos-baseline-abc',
    modelBaseUrl: 'http://127.0.0.1:41002/v1',
    openaiTimeoutMs: 10_000,
    mcpServers: [{ name: 'chaos', command: 'node' }],
    home: '/tmp/run/home',
  };

  it('points the worker at the private servers and its scripted model, and passes no developer setting on', () => {
    const environment = chaosWorkerEnvironment(targets, {
      PATH: '/bin',
      HOME: '/home/dev',
      OPENAI_API_KEY: 'sk-secret',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/',
      CHASSIS_MCP_SERVERS: '[]',
    });
    expect(environment).toEqual({
      PATH: '/bin',
      HOME: '/home/dev',
      TEMPORAL_ADDRESS: '127.0.0.1:41000',
      MONGODB_URI: 'mongodb://127.0.0.1:41001/',
      MONGODB_DB: 'chaos',
      CHASSIS_TASK_QUEUE: 'chaos-baseline-abc',
      CHASSIS_HOME: '/tmp/run/home',
      OPENAI_BASE_URL: 'http://127.0.0.1:41002/v1',
      OPENAI_TIMEOUT_MS: '10000',
      CHASSIS_EMBEDDING_DIMENSIONS: '64',
      CHASSIS_MCP_SERVERS: '[{"name":"chaos","command":"node"}]',
    });
    expect(Object.values(environment)).not.toContain('sk-secret');
  });
});
