import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import defaultCatalogFile from '../../config/models.json';
import { ModelCatalog } from '../../src/models/catalog';
import {
  DEFAULT_ROUTING,
  ModelCatalogError,
  parseModelCatalog,
  type ModelCatalogInput,
} from '../../src/models/catalog-schema';
import { loadModelCatalog } from '../../src/models/load-model-catalog';

/** A small valid catalog; tests break one thing at a time. */
function catalogInput(): ModelCatalogInput {
  return {
    endpoints: { local: { baseUrl: 'http://127.0.0.1:11434/v1', apiKeyEnv: 'LOCAL_KEY' } },
    models: [
      { id: 'big', price: { input: 2, cachedInput: 0.5, output: 8 }, contextWindow: 100_000 },
      {
        id: 'small-a',
        endpoint: 'local',
        price: { input: 0.4, cachedInput: 0.1, output: 1.6 },
        contextWindow: 32_000,
        capabilities: { tools: true, jsonSchema: false },
      },
      { id: 'small-b', price: { input: 0.15, cachedInput: 0.075, output: 0.6 }, contextWindow: 16_000 },
    ],
    tiers: { small: ['small-a', 'small-b'], large: ['big'] },
  };
}

function problemOf(json: unknown): string {
  try {
    parseModelCatalog(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelCatalogError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return (error as ModelCatalogError).detail;
  }
  throw new Error('expected the catalog to be rejected');
}

describe('model catalog file', () => {
  test('the built-in config/models.json is valid and spells out the default routing', () => {
    const definition = parseModelCatalog(defaultCatalogFile);
    expect(definition.routing).toEqual(DEFAULT_ROUTING);
    expect(definition.endpoints).toHaveProperty('openai');
    expect(definition.limits.maxConcurrentModelCalls).toBeGreaterThan(0);
  });

  test('defaults: the openai endpoint, endpoint "openai", capabilities, routing, limits and breaker', () => {
    const definition = parseModelCatalog(catalogInput());
    expect(Object.keys(definition.endpoints).sort()).toEqual(['local', 'openai']);
    expect(definition.models[0]).toMatchObject({
      endpoint: 'openai',
      capabilities: { tools: true, jsonSchema: false },
    });
    expect(definition.routing).toEqual(DEFAULT_ROUTING);
    expect(definition.limits).toEqual({ maxConcurrentModelCalls: 8 });
    expect(definition.breaker).toEqual({
      opensOn: { failureRate: 0.6, lastCalls: 20, minimumCalls: 5 },
      coolDownSeconds: 30,
    });
    expect(definition.routing.whenTierUnavailable).toEqual({ moveTo: {}, maxWaitSeconds: 300 });
  });

  test.each<[string, (input: ModelCatalogInput) => void, string]>([
    [
      'an undeclared endpoint',
      (input) => {
        input.models[2] = { ...input.models[2]!, endpoint: 'foo' };
      },
      'models[2].endpoint "foo" is not a declared endpoint (declared: openai, local)',
    ],
    [
      'a tier naming an unknown model',
      (input) => {
        input.tiers.small = ['small-a', 'gpt-5'];
      },
      'tiers.small[1] "gpt-5" is not a model in the catalog (known: big, small-a, small-b)',
    ],
    [
      'a model twice in a chain',
      (input) => {
        input.tiers.large = ['big', 'big'];
      },
      'tiers.large[1] "big" appears twice in the chain',
    ],
    [
      'an empty tier',
      (input) => {
        input.tiers.large = [];
      },
      'tiers.large: a tier needs at least one model (its first choice, then its fallbacks)',
    ],
    [
      'a duplicate model id',
      (input) => {
        input.models.push({ id: 'big', price: { input: 1, cachedInput: 1, output: 1 }, contextWindow: 1 });
      },
      'models[3].id "big" is declared twice (first at models[0])',
    ],
    [
      'a non-openai endpoint without a base URL',
      (input) => {
        input.endpoints = { local: { apiKeyEnv: 'LOCAL_KEY' } };
      },
      'endpoints.local.baseUrl: is required for an endpoint other than "openai"',
    ],
    [
      'a rule routing to an undeclared tier',
      (input) => {
        input.routing = { rules: [{ name: 'huge', tier: 'huge', when: { minContextTokens: 100_000 } }] };
      },
      'routing.rules[0].tier "huge" is not a declared tier (declared: small, large)',
    ],
    [
      'default routing against tiers with other names',
      (input) => {
        input.tiers = { fast: ['small-a'], smart: ['big'] };
      },
      'routing.rules[0].tier "large" is not a declared tier (declared: fast, smart)',
    ],
    [
      'an unknown purpose',
      (input) => {
        input.routing = { rules: [{ name: 'x', tier: 'large', when: { purpose: ['chat' as never] } }] };
      },
      'routing.rules[0].when.purpose[0]: Invalid option',
    ],
    [
      'a tier moving to an undeclared tier',
      (input) => {
        input.routing = { whenTierUnavailable: { moveTo: { small: 'huge' } } };
      },
      'routing.whenTierUnavailable.moveTo.small "huge" is not a declared tier (declared: small, large)',
    ],
    [
      'a tier moving to itself',
      (input) => {
        input.routing = { whenTierUnavailable: { moveTo: { small: 'small' } } };
      },
      'routing.whenTierUnavailable.moveTo.small: moves "small" to itself: name another tier, or leave it out to wait',
    ],
    [
      'two breaker triggers',
      (input) => {
        input.breaker = { consecutiveFailures: 3, opensOn: { consecutiveFailures: 4 } };
      },
      'breaker: give "opensOn" or "consecutiveFailures", not both',
    ],
    [
      'a rate trigger whose minimum exceeds its window',
      (input) => {
        input.breaker = { opensOn: { failureRate: 0.5, lastCalls: 5, minimumCalls: 6 } };
      },
      'breaker.opensOn.minimumCalls: cannot exceed lastCalls',
    ],
    [
      'a misspelled key',
      (input) => {
        (input.models[0] as Record<string, unknown>).contextWindw = 5;
      },
      'models[0]: Unrecognized key: "contextWindw"',
    ],
    [
      'a negative price',
      (input) => {
        input.models[1] = { ...input.models[1]!, price: { input: -1, cachedInput: 0, output: 0 } };
      },
      'models[1].price.input: Too small',
    ],
    [
      'a base URL that is not http(s)',
      (input) => {
        input.endpoints = { local: { baseUrl: 'ftp://example.com' } };
      },
      'endpoints.local.baseUrl: must be an http(s) URL',
    ],
    [
      'a key variable that is not a variable name',
      (input) => {
        input.endpoints = { local: { baseUrl: 'http://127.0.0.1:1/v1', apiKeyEnv: 'sk-123' } };
      },
      'endpoints.local.apiKeyEnv: must be an environment variable name',
    ],
  ])('rejects %s with one line naming the path', (_name, breakIt, expected) => {
    const input = catalogInput();
    breakIt(input);
    expect(problemOf(input)).toContain(expected);
  });

  test('several problems: the first is named and the rest counted', () => {
    const input = catalogInput();
    input.tiers = { small: ['nope'], large: ['none'] };
    expect(problemOf(input)).toBe(
      'tiers.small[0] "nope" is not a model in the catalog (known: big, small-a, small-b) (and 1 more problem)',
    );
  });
});

describe('loadModelCatalog', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'chassis-catalog-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  test('without a path: the built-in catalog', async () => {
    const catalog = await loadModelCatalog();
    expect(catalog.tiers.small).toEqual(['gpt-4.1-mini', 'gpt-4o-mini']);
  });

  test('reads and validates a file', async () => {
    const file = path.join(folder, 'models.json');
    writeFileSync(file, JSON.stringify(catalogInput()));
    const catalog = await loadModelCatalog(file);
    expect(catalog.ids()).toEqual(['big', 'small-a', 'small-b']);
  });

  test('errors name the file: missing, not JSON, invalid', async () => {
    const missing = path.join(folder, 'absent.json');
    await expect(loadModelCatalog(missing)).rejects.toThrow(
      `model catalog ${missing} cannot be read: no such file: check CHASSIS_MODEL_CATALOG`,
    );
    const broken = path.join(folder, 'broken.json');
    writeFileSync(broken, '{"models": [');
    await expect(loadModelCatalog(broken)).rejects.toThrow(`model catalog ${broken} is invalid: not valid JSON`);
    const invalid = path.join(folder, 'invalid.json');
    const input = catalogInput();
    input.models[2] = { ...input.models[2]!, endpoint: 'foo' };
    writeFileSync(invalid, JSON.stringify(input));
    await expect(loadModelCatalog(invalid)).rejects.toThrow(
      `model catalog ${invalid} is invalid: models[2].endpoint "foo" is not a declared endpoint`,
    );
  });
});

describe('ModelCatalog', () => {
  const catalog = new ModelCatalog(parseModelCatalog(catalogInput()));

  test('every tier is a chain of known, distinct models (the built-in catalog too)', () => {
    for (const subject of [catalog, new ModelCatalog()]) {
      for (const [tier, chain] of Object.entries(subject.tiers)) {
        expect({ tier, unknown: chain.filter((id) => subject.get(id) === undefined) }).toEqual({ tier, unknown: [] });
        expect(new Set(chain).size).toBe(chain.length);
      }
      for (const rule of subject.routing.rules) expect(subject.tiers).toHaveProperty([rule.tier]);
      expect(subject.tiers).toHaveProperty([subject.routing.escalationTier]);
    }
  });

  test('cost per model: uncached input, cached input and output at their own prices', () => {
    const usage = { inputTokens: 1_000, cachedInputTokens: 400, outputTokens: 100 };
    expect(catalog.costOf('big', usage)).toBeCloseTo((600 * 2 + 400 * 0.5 + 100 * 8) / 1e6, 12);
    expect(catalog.costOf('small-a', usage)).toBeCloseTo((600 * 0.4 + 400 * 0.1 + 100 * 1.6) / 1e6, 12);
    expect(catalog.costOf('unknown', usage)).toBe(0);
    // The built-in prices are the file's.
    expect(
      new ModelCatalog().costOf('gpt-4.1-mini', { inputTokens: 1e6, cachedInputTokens: 0, outputTokens: 1e6 }),
    ).toBe(2);
  });

  test('describe() gives workflows tiers, routing and model views without prices or endpoints', () => {
    const description = catalog.describe();
    expect(description.tiers).toEqual({ small: ['small-a', 'small-b'], large: ['big'] });
    expect(description.routing).toEqual(DEFAULT_ROUTING);
    expect(description.models[1]).toEqual({
      id: 'small-a',
      contextWindow: 32_000,
      capabilities: { tools: true, jsonSchema: false },
    });
    expect(JSON.stringify(description)).not.toMatch(/price|endpoint|LOCAL_KEY|baseUrl/);
    description.tiers.small?.push('mutated');
    expect(catalog.tiers.small).toEqual(['small-a', 'small-b']);
  });

  test('require() of an unknown id is a non-retryable Model.Unknown listing the known ids', () => {
    const failure = (() => {
      try {
        catalog.require('gpt-5');
      } catch (error) {
        return error as Error & { type?: string; nonRetryable?: boolean };
      }
      return undefined;
    })();
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'Model.Unknown', nonRetryable: true });
    expect(failure?.message).toContain('model "gpt-5" is not in the model catalog (known: big, small-a, small-b)');
  });

  test('limits and breaker settings for the worker', () => {
    const tuned = new ModelCatalog(
      parseModelCatalog({
        ...catalogInput(),
        limits: { modelCallsPerSecond: 5, maxConcurrentModelCalls: 2 },
        breaker: { consecutiveFailures: 2, coolDownSeconds: 0.5 },
      }),
    );
    expect(tuned.limits).toEqual({ modelCallsPerSecond: 5, maxConcurrentModelCalls: 2 });
    // `consecutiveFailures` at the top is the original form, kept as a shorthand.
    expect(tuned.breaker).toEqual({ opensOn: { consecutiveFailures: 2 }, coolDownMs: 500 });
    const rate = { failureRate: 0.5, lastCalls: 10, minimumCalls: 4 };
    const byRate = new ModelCatalog(parseModelCatalog({ ...catalogInput(), breaker: { opensOn: rate } }));
    expect(byRate.breaker).toEqual({ opensOn: rate, coolDownMs: 30_000 });
  });

  test('whenTierUnavailable: moveTo names declared tiers, and a wait budget', () => {
    const moving = parseModelCatalog({
      ...catalogInput(),
      routing: { whenTierUnavailable: { moveTo: { small: 'large' }, maxWaitSeconds: 20 } },
    });
    expect(moving.routing.whenTierUnavailable).toEqual({ moveTo: { small: 'large' }, maxWaitSeconds: 20 });
    expect(new ModelCatalog(moving).describe().routing.whenTierUnavailable).toEqual({
      moveTo: { small: 'large' },
      maxWaitSeconds: 20,
    });
  });
});
