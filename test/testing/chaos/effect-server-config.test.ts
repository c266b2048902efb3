import { effectServerConfig } from '../../../src/testing/chaos/effect-server-config';
import { parseMcpServersConfig } from '../../../src/tools/mcp/config';

describe('effectServerConfig', () => {
  const config = effectServerConfig({ effectsFile: '/tmp/e.jsonl', callsFile: '/tmp/c.jsonl', effectDelayMs: 1500 });

  it('is an entry this Chassis accepts, naming the files in the server’s environment', () => {
    const [parsed] = parseMcpServersConfig(JSON.stringify([config.entry]));
    expect(parsed).toMatchObject({
      name: 'chaos',
      env: { CHAOS_EFFECTS_FILE: '/tmp/e.jsonl', CHAOS_CALLS_FILE: '/tmp/c.jsonl', CHAOS_EFFECT_DELAY_MS: '1500' },
    });
    expect(parsed?.args.at(-1)).toMatch(/src\/testing\/mcp\/effect-server\.ts$/);
  });

  it('carries exactly the optional keys it reports, and only keys it knows', () => {
    expect(['outcomeChecks', 'policy.acceptsIdempotencyKey']).toEqual(expect.arrayContaining(config.features));
    expect('outcomeChecks' in config.entry).toBe(config.features.includes('outcomeChecks'));
    const policy = config.entry.policy as Record<string, unknown> | undefined;
    expect(policy?.acceptsIdempotencyKey === true).toBe(config.features.includes('policy.acceptsIdempotencyKey'));
  });
});
