import { ModelCatalog } from '../../src/models/catalog';
import { parseModelCatalog } from '../../src/models/catalog-schema';
import { EndpointClients, resolveEndpoint } from '../../src/models/endpoint-clients';

describe('resolveEndpoint', () => {
  test('openai defaults to OPENAI_BASE_URL and OPENAI_API_KEY', () => {
    expect(resolveEndpoint('openai', {}, { OPENAI_API_KEY: 'sk-1' })).toEqual({
      name: 'openai',
      baseUrl: undefined,
      apiKey: 'sk-1',
      keyVariable: 'OPENAI_API_KEY',
      keyRequired: true,
    });
    // A local OpenAI-compatible server through OPENAI_BASE_URL needs no key.
    expect(resolveEndpoint('openai', {}, { OPENAI_BASE_URL: 'http://127.0.0.1:4010/v1', OPENAI_API_KEY: '' })).toEqual({
      name: 'openai',
      baseUrl: 'http://127.0.0.1:4010/v1',
      apiKey: undefined,
      keyVariable: 'OPENAI_API_KEY',
      keyRequired: false,
    });
  });

  test('other endpoints use their base URL and, when named, their key variable', () => {
    const environment = { GROQ_API_KEY: 'gsk-2', OPENAI_API_KEY: 'sk-1' };
    expect(
      resolveEndpoint('groq', { baseUrl: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY' }, environment),
    ).toMatchObject({
      baseUrl: 'https://api.groq.com/openai/v1',
      apiKey: 'gsk-2',
      keyRequired: true,
    });
    expect(resolveEndpoint('ollama', { baseUrl: 'http://127.0.0.1:11434/v1' }, environment)).toMatchObject({
      apiKey: undefined,
      keyVariable: undefined,
      keyRequired: false,
    });
  });

  test('single-endpoint (offline) mode: every endpoint goes to one URL and no key is read', () => {
    const single = { baseUrl: 'http://127.0.0.1:9/v1' };
    expect(
      resolveEndpoint(
        'groq',
        { baseUrl: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY' },
        { GROQ_API_KEY: 'gsk' },
        single,
      ),
    ).toEqual({
      name: 'groq',
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKey: undefined,
      keyVariable: undefined,
      keyRequired: false,
    });
  });
});

describe('EndpointClients', () => {
  const catalog = new ModelCatalog(
    parseModelCatalog({
      endpoints: { groq: { baseUrl: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY' } },
      models: [
        { id: 'a', price: { input: 1, cachedInput: 1, output: 1 }, contextWindow: 1000 },
        { id: 'b', endpoint: 'groq', price: { input: 1, cachedInput: 1, output: 1 }, contextWindow: 1000 },
      ],
      tiers: { small: ['b'], large: ['a'] },
    }),
  );

  test('a missing key is a non-retryable Model.Authentication naming the variable, not its value', () => {
    const clients = new EndpointClients(catalog, { timeoutMs: 1_000, environment: {} });
    expect(() => clients.clientFor('b', 'groq')).toThrow(
      expect.objectContaining({
        type: 'Model.Authentication',
        nonRetryable: true,
        message: expect.stringContaining('endpoint "groq", whose API key variable GROQ_API_KEY is not set'),
      }),
    );
  });

  test('one client per endpoint, with the resolved base URL, the key and no client-side retries', () => {
    const clients = new EndpointClients(catalog, {
      timeoutMs: 1_234,
      environment: { GROQ_API_KEY: 'gsk', OPENAI_API_KEY: 'sk' },
    });
    const groq = clients.clientFor('b', 'groq');
    expect(clients.clientFor('b', 'groq')).toBe(groq);
    expect(groq.client.baseURL).toBe('https://api.groq.com/openai/v1');
    expect(groq.client.apiKey).toBe('gsk');
    expect(groq.client.maxRetries).toBe(0);
    expect(groq.client.timeout).toBe(1_234);
    const openai = clients.clientFor('a', 'openai');
    expect(openai.client.baseURL).toBe('https://api.openai.com/v1');
    expect(openai.client.apiKey).toBe('sk');
  });
});
