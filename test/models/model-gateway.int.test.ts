import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelCallInput } from '../../src/contracts/activities';
import { ModelCatalog } from '../../src/models/catalog';
import { parseModelCatalog, type ModelCatalogInput } from '../../src/models/catalog-schema';
import { ModelGateway } from '../../src/models/model-gateway';
import type { PromptCache } from '../../src/models/prompt-cache';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

// Two scripted OpenAI-compatible servers (test doubles of two providers), reached over HTTP
// by the real openai client: one per catalog endpoint.
let alpha: ScriptedModelServer;
let beta: ScriptedModelServer;

const ANSWER = {
  rules: [
    {
      name: 'answer',
      reply: { content: 'hello' },
      usage: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 200 },
    },
  ],
};

beforeAll(async () => {
  alpha = await startQuietScriptedModel(ANSWER);
  beta = await startQuietScriptedModel(ANSWER);
});

afterAll(async () => {
  await alpha.close();
  await beta.close();
});

beforeEach(() => {
  alpha.setScript(ANSWER);
  beta.setScript(ANSWER);
});

const price = { input: 1, cachedInput: 0.5, output: 4 };

function catalogFor(extra: Partial<ModelCatalogInput> = {}): ModelCatalog {
  return new ModelCatalog(
    parseModelCatalog({
      endpoints: {
        alpha: { baseUrl: alpha.baseURL },
        beta: { baseUrl: beta.baseURL, apiKeyEnv: 'TEST_BETA_KEY' },
      },
      models: [
        {
          id: 'alpha-large',
          endpoint: 'alpha',
          price: { input: 2, cachedInput: 0.5, output: 8 },
          contextWindow: 100_000,
          capabilities: { tools: true, jsonSchema: true },
        },
        {
          id: 'beta-small',
          endpoint: 'beta',
          price,
          contextWindow: 16_000,
          capabilities: { tools: true, jsonSchema: false },
        },
      ],
      tiers: { small: ['beta-small', 'alpha-large'], large: ['alpha-large'] },
      breaker: { consecutiveFailures: 2, coolDownSeconds: 0.3 },
      ...extra,
    }),
  );
}

function gateway(
  catalog = catalogFor(),
  environment: Record<string, string> = { TEST_BETA_KEY: 'beta-key' },
): ModelGateway {
  return new ModelGateway({ catalog, timeoutMs: 5_000, environment, warn: () => undefined });
}

function call(model: string, extra: Partial<ModelCallInput> = {}): ModelCallInput {
  return {
    model,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello.' },
    ],
    ...extra,
  };
}

async function failureOf(
  promise: Promise<unknown>,
): Promise<Error & { type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: Error) => error,
  );
}

type SentBody = { model: string; messages: { role: string; content: string }[]; response_format?: unknown };
const bodyOf = (server: ScriptedModelServer, index: number) => server.requests[index]?.body as SentBody;

describe('ModelGateway against scripted endpoints over HTTP', () => {
  test('each model goes to its own endpoint, and is priced from the catalog', async () => {
    const models = gateway();
    const large = await models.complete(call('alpha-large'));
    const small = await models.complete(call('beta-small'));
    expect(alpha.requests.map((request) => bodyOf(alpha, request.sequence - 1).model)).toEqual(['alpha-large']);
    expect(beta.requests.map((request) => bodyOf(beta, request.sequence - 1).model)).toEqual(['beta-small']);
    expect(large).toMatchObject({
      model: 'alpha-large',
      content: 'hello',
      usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 100 },
    });
    expect(large.costUsd).toBeCloseTo((800 * 2 + 200 * 0.5 + 100 * 8) / 1e6, 12);
    expect(small.costUsd).toBeCloseTo((800 * 1 + 200 * 0.5 + 100 * 4) / 1e6, 12);
    expect(large.cached).toBeUndefined();
  });

  test('offline mode: a single base URL serves every endpoint, and no key is needed', async () => {
    const models = new ModelGateway({
      catalog: catalogFor(),
      timeoutMs: 5_000,
      environment: {},
      singleEndpoint: { baseUrl: alpha.baseURL },
    });
    await models.complete(call('beta-small'));
    expect(alpha.requests).toHaveLength(1);
    expect(beta.requests).toHaveLength(0);
  });

  test('an unknown model is a non-retryable Model.Unknown listing the known ids; nothing is sent', async () => {
    const failure = await failureOf(gateway().complete(call('gpt-5')));
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'Model.Unknown', nonRetryable: true });
    expect(failure.message).toContain('known: alpha-large, beta-small');
    expect(alpha.requests.length + beta.requests.length).toBe(0);
  });

  test('a missing endpoint key is a non-retryable Model.Authentication naming the variable; nothing is sent', async () => {
    const failure = await failureOf(gateway(catalogFor(), {}).complete(call('beta-small')));
    expect(failure).toMatchObject({ type: 'Model.Authentication', nonRetryable: true });
    expect(failure.message).toContain('TEST_BETA_KEY is not set');
    expect(beta.requests).toHaveLength(0);
  });

  test('the breaker opens after N 500s; the next call fails fast without reaching the server; a trial closes it', async () => {
    alpha.setScript({ rules: [{ name: 'down', match: { model: '^alpha-large$' }, fault: { status: 500 } }] });
    const models = gateway();
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await failureOf(models.complete(call('alpha-large')))).toMatchObject({
        type: 'Model.Unavailable',
        nonRetryable: false,
      });
    }
    expect(alpha.requests).toHaveLength(2);
    const fast = await failureOf(models.complete(call('alpha-large')));
    expect(fast).toMatchObject({ name: 'ApplicationFailure', type: 'Model.CircuitOpen', nonRetryable: true });
    expect(fast.message).toMatch(
      /^model alpha-large failing: breaker opened after 2 consecutive errors \(last: Model\.Unavailable: provider answered HTTP 500: .*\) 0 s ago, half-opens in 1 s — the workflow moves to the next model$/,
    );
    expect(alpha.requests).toHaveLength(2);
    // Other models keep working.
    await expect(models.complete(call('beta-small'))).resolves.toMatchObject({ content: 'hello' });
    // After the cool-down one trial goes through; the provider has recovered.
    alpha.setScript(ANSWER);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(models.complete(call('alpha-large'))).resolves.toMatchObject({ content: 'hello' });
    expect(models.breakers.state('alpha-large')).toBe('closed');
  });

  test('429s count toward the breaker and keep their Retry-After; 400s do not count', async () => {
    beta.setScript({
      rules: [
        { name: 'bad', times: 3, reply: { content: 'x' }, fault: { status: 400 } },
        { name: 'throttled', reply: { content: 'x' }, fault: { status: 429, retryAfterSeconds: 2 } },
      ],
    });
    const models = gateway();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await failureOf(models.complete(call('beta-small')))).toMatchObject({
        type: 'Model.BadRequest',
        nonRetryable: true,
      });
    }
    expect(models.breakers.state('beta-small')).toBe('closed');
    expect(await failureOf(models.complete(call('beta-small')))).toMatchObject({
      type: 'Model.RateLimited',
      nonRetryable: false,
      nextRetryDelay: 2000,
    });
    const second = await failureOf(models.complete(call('beta-small')));
    expect(second).toMatchObject({ type: 'Model.RateLimited' });
    expect(models.breakers.state('beta-small')).toBe('open');
    expect((await failureOf(models.complete(call('beta-small')))).type).toBe('Model.CircuitOpen');
    expect(beta.requests).toHaveLength(5);
  });

  test('responseFormat: json_schema for a capable model, a system instruction for the others', async () => {
    const models = gateway();
    const responseFormat = {
      name: 'greeting',
      schema: {
        type: 'object',
        properties: { text: { type: 'string' } },
        required: ['text'],
        additionalProperties: false,
      },
    };
    await models.complete(call('alpha-large', { responseFormat }));
    await models.complete(call('beta-small', { responseFormat }));
    expect(bodyOf(alpha, 0).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'greeting', schema: responseFormat.schema, strict: true },
    });
    expect(bodyOf(alpha, 0).messages[0]?.content).toBe('Be brief.');
    expect(bodyOf(beta, 0).response_format).toBeUndefined();
    expect(bodyOf(beta, 0).messages[0]?.content).toContain('JSON schema "greeting"');
  });

  test('the legacy single-endpoint constructor still works', async () => {
    const models = new ModelGateway({
      catalog: new ModelCatalog(),
      timeoutMs: 5_000,
      singleEndpoint: { baseUrl: beta.baseURL },
    });
    await expect(models.complete(call('gpt-4.1-mini'))).resolves.toMatchObject({
      model: 'gpt-4.1-mini',
      content: 'hello',
    });
    expect(beta.requests).toHaveLength(1);
  });
});

describe('endpoint keys reach only their own endpoint', () => {
  let server: Server;
  const seen: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    // A minimal OpenAI-compatible answer; the scripted server does not record headers.
    server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'm',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('the key of each endpoint comes from its variable in the worker environment', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const catalog = new ModelCatalog(
      parseModelCatalog({
        endpoints: {
          one: { baseUrl: url, apiKeyEnv: 'ONE_KEY' },
          two: { baseUrl: url, apiKeyEnv: 'TWO_KEY' },
          local: { baseUrl: url },
        },
        models: [
          { id: 'm1', endpoint: 'one', price, contextWindow: 1000 },
          { id: 'm2', endpoint: 'two', price, contextWindow: 1000 },
          { id: 'm3', endpoint: 'local', price, contextWindow: 1000 },
        ],
        tiers: { small: ['m1'], large: ['m2'] },
      }),
    );
    const models = new ModelGateway({
      catalog,
      timeoutMs: 5_000,
      environment: { ONE_KEY: 'key-one', TWO_KEY: 'key-two', OPENAI_API_KEY: 'sk-secret' },
    });
    await models.complete(call('m1'));
    await models.complete(call('m2'));
    await models.complete(call('m3'));
    expect(seen.map((headers) => headers.authorization)).toEqual([
      'Bearer key-one',
      'Bearer key-two',
      'Bearer not-needed',
    ]);
  });
});

describe('prompt cache problems never block a call', () => {
  test('a failing lookup or store is reported and the call goes to the model', async () => {
    const warnings: string[] = [];
    const models = new ModelGateway({
      catalog: catalogFor(),
      timeoutMs: 5_000,
      environment: { TEST_BETA_KEY: 'beta-key' },
      warn: (message) => warnings.push(message),
    });
    const broken = {
      get: () => Promise.reject(new Error('server selection timed out')),
      put: () => Promise.reject(new Error('not primary')),
    } as unknown as PromptCache;
    const result = await models.complete(call('alpha-large', { temperature: 0, cache: true }), { cache: broken });
    expect(result).toMatchObject({ content: 'hello' });
    expect(alpha.requests).toHaveLength(1);
    expect(warnings).toEqual([
      'prompt cache: lookup failed (Error: server selection timed out); calling the model',
      'prompt cache: could not store the answer of alpha-large (Error: not primary); not cached',
    ]);
  });
});
