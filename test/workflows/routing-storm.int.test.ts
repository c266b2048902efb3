import { randomUUID } from 'node:crypto';
import type { AgentTaskInput } from '../../src/contracts/agent-task';
import { ModelCatalog, defaultModelCatalogDefinition } from '../../src/models/catalog';
import { parseModelCatalog, type ModelCatalogInput } from '../../src/models/catalog-schema';
import type { ModelScriptInput } from '../../src/testing/scripted-model';
import type { TestStack } from '../../src/testing/temporal-harness';
import { ToolRegistry } from '../../src/tools/registry';
import type { agentTaskWorkflow } from '../../src/workflows/agent-task';
import { useScriptedStack } from '../support/scripted-stack';

// A model storm on the real stack: the scripted server (a test double for the provider)
// answers 500 and 429 for both small-tier models until their breakers open. The catalog is
// the built-in one (small = gpt-4.1-mini → gpt-4o-mini, large = gpt-4.1 → gpt-4o) with a
// 2-consecutive breaker, so the storm opens every small breaker quickly, and a 10 s cool-down,
// longer than the engine's retries of one call (1 s, then 2 s), so each model's third attempt
// is refused by its open breaker rather than let through as a trial.

const scripted = useScriptedStack({ stack: false });

/** Starts a worker (fresh breakers) whose catalog has the given `whenTierUnavailable`. */
async function startStack(whenTierUnavailable: { moveTo?: Record<string, string>; maxWaitSeconds?: number }) {
  const builtIn = defaultModelCatalogDefinition();
  const input: ModelCatalogInput = {
    models: builtIn.models,
    tiers: builtIn.tiers,
    routing: { ...builtIn.routing, whenTierUnavailable },
    breaker: { opensOn: { consecutiveFailures: 2 }, coolDownSeconds: 10 },
  };
  const models = scripted.gateway({ catalog: new ModelCatalog(parseModelCatalog(input)), timeoutMs: 5_000 });
  return scripted.startStack({ dependencies: { models, tools: new ToolRegistry([]) } });
}

/** Both small models fail twice (500, then 429), enough to open their breakers; everything else answers. */
function storm(smallFailures: number | 'always'): ModelScriptInput {
  const times = smallFailures === 'always' ? {} : { times: smallFailures };
  return {
    rules: [
      { name: 'mini-500', match: { model: '^gpt-4\\.1-mini$' }, ...times, fault: { status: 500 } },
      { name: 'mini-429', match: { model: '^gpt-4o-mini$' }, ...times, fault: { status: 429 } },
      { name: 'answer', reply: { content: '4' } },
    ],
  };
}

function start(running: TestStack, script: ModelScriptInput, input: Partial<AgentTaskInput> = {}) {
  scripted.model.setScript(script);
  return running.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
    taskQueue: running.taskQueue,
    workflowId: `storm-test-${randomUUID()}`,
    args: [{ goal: 'What is 2 + 2?', planning: 'direct', memory: false, ...input }],
  });
}

const served = () =>
  scripted.model.requests.map((request) => [(request.body as { model: string }).model, request.status]);

async function timersOf(handle: Awaited<ReturnType<typeof start>>): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
  });
}

describe('a storm that opens every small-tier breaker', () => {
  test('waits (a durable timer) until the earliest breaker half-opens, then completes on the small tier', async () => {
    const running = await startStack({ moveTo: {}, maxWaitSeconds: 60 });
    const handle = await start(running, storm(2));
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.answer).toBe('4');
    // Two failures opened each small breaker; the third attempt of each was refused in the worker.
    expect(served()).toEqual([
      ['gpt-4.1-mini', 500],
      ['gpt-4.1-mini', 500],
      ['gpt-4o-mini', 429],
      ['gpt-4o-mini', 429],
      ['gpt-4.1-mini', 200],
    ]);
    const [wait, ...more] = await timersOf(handle);
    expect(more).toEqual([]);
    // The Model.CircuitOpen details said when the first breaker half-opens (within its 10 s cool-down).
    expect(wait).toBeGreaterThanOrEqual(2_000);
    expect(wait).toBeLessThanOrEqual(10_000);
    expect(result.steps[0]?.route).toMatchObject({
      tier: 'small',
      model: 'gpt-4.1-mini',
      reason: expect.stringMatching(/^tier small unavailable \(gpt-4\.1-mini, gpt-4o-mini failed\): waited \d+ s$/),
    });
  });

  test('a pinned model waits too (its task read the catalog settings behind a patch)', async () => {
    const running = await startStack({ moveTo: {}, maxWaitSeconds: 60 });
    const handle = await start(running, storm(2), { model: 'gpt-4.1-mini' });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(served()).toEqual([
      ['gpt-4.1-mini', 500],
      ['gpt-4.1-mini', 500],
      ['gpt-4.1-mini', 200],
    ]);
    expect(await timersOf(handle)).toHaveLength(1);
  });

  test('moves to the large tier when the catalog says so (and pays its price), without waiting', async () => {
    const running = await startStack({ moveTo: { small: 'large' }, maxWaitSeconds: 60 });
    const handle = await start(running, storm('always'));
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(served().slice(-1)).toEqual([['gpt-4.1', 200]]);
    expect(await timersOf(handle)).toEqual([]);
    expect(result.steps[0]?.route).toMatchObject({
      tier: 'large',
      model: 'gpt-4.1',
      reason:
        'tier small unavailable (gpt-4.1-mini, gpt-4o-mini failed): moved to large (routing.whenTierUnavailable.moveTo)',
    });
    expect(result.usage.byTier.large?.calls).toBe(1);
  });

  test('with a tiny time budget it fails with Model.TierUnavailable saying which models failed, how, and for how long', async () => {
    const running = await startStack({ moveTo: {}, maxWaitSeconds: 1 });
    const handle = await start(running, storm('always'));
    const failure = await handle.result().then(
      () => undefined,
      (error: Error & { cause?: Error & { type?: string; nonRetryable?: boolean } }) => error,
    );
    expect(failure?.name).toBe('WorkflowFailedError');
    expect(failure?.cause).toMatchObject({
      name: 'ApplicationFailure',
      type: 'Model.TierUnavailable',
      nonRetryable: true,
    });
    expect(failure?.cause?.message).toMatch(
      /^no model could answer for \d+ s: every model of tier small kept failing or refusing, and the call waited 1 s in 1 pause, up to routing\.whenTierUnavailable\.maxWaitSeconds \(1\)\. gpt-4\.1-mini \(small\): 2 failed calls over \d+ s, last: Model\.CircuitOpen: model gpt-4\.1-mini failing: breaker opened after 2 consecutive errors \(last: Model\.Unavailable: provider answered HTTP 500: .*\) \d+ s ago, half-opens in \d+ s .*; gpt-4o-mini \(small\): 2 failed calls over \d+ s, last: Model\.CircuitOpen: model gpt-4o-mini failing: breaker opened after 2 consecutive errors \(last: Model\.RateLimited: provider answered HTTP 429: .*\. Check the provider's status/,
    );
    // No request after the breakers opened: the worker refused every later attempt.
    expect(served()).toHaveLength(4);
  });
});
