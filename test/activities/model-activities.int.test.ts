import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { MongoClient, type Db } from 'mongodb';
import type { ModelCallInput } from '../../src/contracts/activities';
import { createModelActivities } from '../../src/activities/model-activities';
import { ModelCatalog } from '../../src/models/catalog';
import { parseModelCatalog } from '../../src/models/catalog-schema';
import { ModelGateway } from '../../src/models/model-gateway';
import { quietLogger } from '../../src/observability/quiet-logger';
import { PROMPT_CACHE_COLLECTION, type CachedModelResponse } from '../../src/models/prompt-cache';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

// Real FerretDB (MONGODB_URI from the global setup) and the scripted model server over HTTP.
// MockActivityEnvironment only provides the activity context (cancellation signal).
let model: ScriptedModelServer;
let client: MongoClient;
let db: Db;

const SCRIPT = {
  rules: [
    {
      name: 'answer',
      reply: { content: 'It is 4.' },
      usage: { inputTokens: 1_000, cachedInputTokens: 0, outputTokens: 50 },
    },
  ],
};

beforeAll(async () => {
  model = await startQuietScriptedModel(SCRIPT);
  client = await MongoClient.connect(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/', {
    serverSelectionTimeoutMS: 10_000,
  });
  db = client.db(`chassis_test_model_activities_${randomUUID().slice(0, 8)}`);
});

afterAll(async () => {
  await model.close();
  try {
    await db.dropDatabase();
  } finally {
    await client.close();
  }
});

beforeEach(async () => {
  model.setScript(SCRIPT);
  await db.collection(PROMPT_CACHE_COLLECTION).deleteMany({});
});

const catalog = new ModelCatalog(
  parseModelCatalog({
    models: [
      { id: 'small', price: { input: 0.4, cachedInput: 0.1, output: 1.6 }, contextWindow: 100_000 },
      { id: 'large', price: { input: 2, cachedInput: 0.5, output: 8 }, contextWindow: 100_000 },
    ],
    tiers: { small: ['small', 'large'], large: ['large'] },
    breaker: { consecutiveFailures: 2, coolDownSeconds: 30 },
  }),
);

function gateway() {
  return new ModelGateway({
    catalog,
    timeoutMs: 5_000,
    singleEndpoint: { baseUrl: model.baseURL },
    warn: () => undefined,
  });
}

function activities(options: { db?: Db; models?: ModelGateway } = {}) {
  return createModelActivities({ models: gateway(), ...options });
}

function question(extra: Partial<ModelCallInput> = {}): ModelCallInput {
  return { model: 'small', messages: [{ role: 'user', content: 'What is 2 + 2?' }], ...extra };
}

const silent = quietLogger('OFF');

/** A model call activity of a workflow; each `run` below is a new scheduled activity unless given one. */
function activityInfo(activityId = randomUUID()) {
  return { activityId, workflowExecution: { workflowId: 'model-activities-test', runId: 'run-1' } };
}

// run() cannot infer the result type of a zero-argument function; the cast restores it.
const run = <R>(fn: () => Promise<R>, info = activityInfo()): Promise<R> =>
  new MockActivityEnvironment(info, { logger: silent }).run(fn) as Promise<R>;

describe('prompt-response cache (real MongoDB-wire server)', () => {
  test('the second identical temperature-0 call is served from the cache: one request, nothing billed', async () => {
    const { callModel } = activities({ db });
    const first = await run(() => callModel(question({ temperature: 0, cache: true })));
    const second = await run(() => callModel(question({ temperature: 0, cache: true, purpose: 'another label' })));
    expect(model.requests).toHaveLength(1);
    expect(first).toMatchObject({ content: 'It is 4.', usage: { inputTokens: 1_000, outputTokens: 50 } });
    expect(first.cached).toBeUndefined();
    expect(first.costUsd).toBeCloseTo((1_000 * 0.4 + 50 * 1.6) / 1e6, 12);
    expect(second).toMatchObject({
      model: 'small',
      content: 'It is 4.',
      toolCalls: [],
      finishReason: first.finishReason,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      cached: true,
    });
    // The stored entry keeps what the original call used and cost.
    const stored = await db.collection<CachedModelResponse>(PROMPT_CACHE_COLLECTION).find().toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ model: 'small', usage: first.usage, costUsd: first.costUsd });
  });

  test('a cache survives worker restarts: a new set of activities on the same database hits', async () => {
    await run(() => activities({ db }).callModel(question({ temperature: 0, cache: true })));
    const again = await run(() => activities({ db }).callModel(question({ temperature: 0, cache: true })));
    expect(again.cached).toBe(true);
    expect(model.requests).toHaveLength(1);
  });

  test('never for temperature > 0, without cache: true, or for a different request', async () => {
    const { callModel } = activities({ db });
    for (let index = 0; index < 2; index++) await run(() => callModel(question({ temperature: 0.7, cache: true })));
    for (let index = 0; index < 2; index++) await run(() => callModel(question({ temperature: 0 })));
    await run(() => callModel(question({ temperature: 0, cache: true })));
    const other = await run(() => callModel(question({ temperature: 0, cache: true, model: 'large' })));
    expect(other.cached).toBeUndefined();
    expect(model.requests).toHaveLength(6);
    expect(await db.collection(PROMPT_CACHE_COLLECTION).countDocuments()).toBe(2);
  });

  test('no database: the cache is off even when a call asks for it', async () => {
    const { callModel } = activities();
    await run(() => callModel(question({ temperature: 0, cache: true })));
    const second = await run(() => callModel(question({ temperature: 0, cache: true })));
    expect(second.cached).toBeUndefined();
    expect(model.requests).toHaveLength(2);
  });

  test('failed calls are not cached', async () => {
    model.setScript({
      rules: [
        { name: 'down', times: 1, fault: { status: 503 } },
        { name: 'answer', reply: { content: 'It is 4.' } },
      ],
    });
    const { callModel } = activities({ db });
    await expect(run(() => callModel(question({ temperature: 0, cache: true })))).rejects.toMatchObject({
      type: 'Model.Unavailable',
    });
    const next = await run(() => callModel(question({ temperature: 0, cache: true })));
    expect(next).toMatchObject({ content: 'It is 4.' });
    expect(next.cached).toBeUndefined();
  });
});

describe('callModel and describeModels', () => {
  test('the breaker makes callModel fail fast with Model.CircuitOpen once a model keeps failing', async () => {
    model.setScript({ rules: [{ name: 'down', fault: { status: 500 } }] });
    const { callModel } = activities();
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(run(() => callModel(question()))).rejects.toMatchObject({ type: 'Model.Unavailable' });
    }
    await expect(run(() => callModel(question()))).rejects.toMatchObject({
      type: 'Model.CircuitOpen',
      nonRetryable: true,
      message: expect.stringMatching(
        /^model small failing: breaker opened after 2 consecutive errors \(last: Model\.Unavailable: provider answered HTTP 500: .*\) 0 s ago, half-opens in 30 s — the workflow moves to the next model$/,
      ),
    });
    expect(model.requests).toHaveLength(2);
  });

  test('heartbeats while the provider request runs', async () => {
    model.setScript({ latencyMs: 1_200, rules: [{ name: 'slow', reply: { content: 'late' } }] });
    const environment = new MockActivityEnvironment({ ...activityInfo(), heartbeatTimeoutMs: 900 }, { logger: silent });
    let beats = 0;
    environment.on('heartbeat', () => beats++);
    const { callModel } = activities();
    await expect(environment.run(() => callModel(question()))).resolves.toMatchObject({ content: 'late' });
    // One at the start, then every 300 ms (a third of the heartbeat timeout) for 1.2 s.
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  test('cancelling the activity aborts the HTTP request: the server sees it closed unanswered, the breaker counts nothing', async () => {
    model.setScript({ rules: [{ name: 'hang', fault: { hang: true } }] });
    const models = gateway();
    const { callModel } = activities({ models });
    // Two cancelled calls: with this catalog's 2-consecutive breaker, counting them would open it.
    for (let index = 0; index < 2; index++) {
      const environment = new MockActivityEnvironment(activityInfo(), { logger: silent });
      const running = environment.run(() => callModel(question()));
      while (model.requests.length === index) await new Promise((resolve) => setTimeout(resolve, 20));
      environment.cancel();
      await expect(running).rejects.toMatchObject({ name: 'CancelledFailure' });
    }
    for (const request of model.requests) {
      for (let waited = 0; request.closedUnansweredAt === null && waited < 5_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(request).toMatchObject({ closedUnansweredAt: expect.any(String), status: null });
    }
    expect(models.breakers.state('small')).toBe('closed');
  });

  test('a retried attempt of a call that completed in this worker returns the answer without a new request', async () => {
    const { callModel } = activities();
    const info = activityInfo();
    // Attempt 1 completes; then (in a worker) encoding its result could fail, e.g. the claim
    // check while MongoDB is down, and the engine retries the same activity.
    const first = await run(() => callModel(question()), { ...info, attempt: 1 } as typeof info);
    const retry = await run(() => callModel(question()), { ...info, attempt: 2 } as typeof info);
    expect(model.requests).toHaveLength(1);
    expect(retry).toEqual(first);
    // Another activity (or the same id with other messages, after a reset) is a new request.
    await run(() => callModel(question()));
    await run(() => callModel(question({ messages: [{ role: 'user', content: 'And 3 + 3?' }] })), info);
    expect(model.requests).toHaveLength(3);
  });

  test('describeModels returns tiers, routing and model views, without prices or endpoints', async () => {
    const description = await run(() => activities().describeModels({}));
    expect(description.tiers).toEqual({ small: ['small', 'large'], large: ['large'] });
    expect(description.routing.escalationTier).toBe('large');
    expect(description.models.map((view) => view.id)).toEqual(['small', 'large']);
    expect(JSON.stringify(description)).not.toMatch(/price|baseUrl|apiKey/);
    // The settings the workflow derives the model activity's timeouts from, and the wait policy.
    expect(description.calls).toEqual({ requestTimeoutMs: 5_000, breakerCoolDownMs: 30_000 });
    expect(description.routing.whenTierUnavailable).toEqual({ moveTo: {}, maxWaitSeconds: 300 });
  });
});
