import { parseScript, seededRandom, selectRule, startScriptedModelServer } from '../../../src/testing/scripted-model';
import type { ChatRequest, ModelScriptInput, ScriptedModelServer } from '../../../src/testing/scripted-model';

const request: ChatRequest = { model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] };

const storm: ModelScriptInput = {
  seed: 42,
  rules: [
    { name: 'rate-limited', probability: 0.3, fault: { status: 429 } },
    { name: 'answer', reply: { content: 'ok' } },
  ],
};

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const first = seededRandom(7);
    const again = seededRandom(7);
    const other = seededRandom(8);
    const a = Array.from({ length: 5 }, () => first());
    expect(Array.from({ length: 5 }, () => again())).toEqual(a);
    expect(Array.from({ length: 5 }, () => other())).not.toEqual(a);
  });

  it('stays in [0, 1) and spreads over it', () => {
    const random = seededRandom(1);
    const draws = Array.from({ length: 10_000 }, () => random());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const belowHalf = draws.filter((draw) => draw < 0.5).length;
    expect(belowHalf).toBeGreaterThan(4_700);
    expect(belowHalf).toBeLessThan(5_300);
  });
});

describe('rule probability', () => {
  it('is validated: a fraction between 0 and 1', () => {
    expect(() => parseScript({ rules: [{ name: 'r', probability: 1.5, reply: { content: 'x' } }] })).toThrow(
      'model script is invalid: rules[0].probability: Too big: expected number to be <=1',
    );
    expect(parseScript({ rules: [{ name: 'r', reply: { content: 'x' } }] }).seed).toBe(1);
  });

  it('lets a rule take part in about that fraction of the matching requests; the others go to the next rule', () => {
    const script = parseScript(storm);
    const random = seededRandom(script.seed);
    const chosen = Array.from(
      { length: 1_000 },
      (_, index) =>
        selectRule({ rules: script.rules, request, callNumber: index + 1, usesByRule: [0, 0], random })?.rule.name,
    );
    const faults = chosen.filter((name) => name === 'rate-limited').length;
    expect(faults).toBeGreaterThan(250);
    expect(faults).toBeLessThan(350);
    expect(chosen.filter((name) => name === 'answer')).toHaveLength(1_000 - faults);
  });

  it('never draws for a rule that does not match, and 0 and 1 are never and always', () => {
    const script = parseScript({
      rules: [
        { name: 'never', probability: 0, reply: { content: 'never' } },
        { name: 'other-user', match: { lastUser: 'nobody' }, probability: 0.5, reply: { content: 'x' } },
        { name: 'always', probability: 1, reply: { content: 'always' } },
      ],
    });
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.999;
    };
    expect(selectRule({ rules: script.rules, request, callNumber: 1, usesByRule: [0, 0, 0], random })?.rule.name).toBe(
      'always',
    );
    // One draw each for "never" and "always"; none for the rule whose match failed.
    expect(draws).toBe(2);
  });
});

describe('scripted model server with a probabilistic fault', () => {
  let server: ScriptedModelServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function statuses(count: number): Promise<number[]> {
    const result: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const response = await fetch(`${server?.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }),
      });
      await response.text();
      result.push(response.status);
    }
    return result;
  }

  it('replays the same storm after setScript with the same seed, and records which rule answered', async () => {
    server = await startScriptedModelServer({ script: storm, log: () => undefined });
    const first = await statuses(40);
    expect(first.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(first.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(server.requests.map((recorded) => (recorded.ruleName === 'rate-limited' ? 429 : 200))).toEqual(first);

    server.setScript(storm);
    expect(await statuses(40)).toEqual(first);
  });
});
