import { effectServerConfig } from '../../../src/testing/chaos/effect-server-config';
import { parseMcpServersConfig } from '../../../src/config/mcp-servers';

describe('effectServerConfig', () => {
  const entry = effectServerConfig({ effectsFile: '/tmp/e.jsonl', callsFile: '/tmp/c.jsonl', effectDelayMs: 1500 });

  it('is an entry Chassis accepts, naming the files in the server’s environment and the outcome check', () => {
    const [parsed] = parseMcpServersConfig(JSON.stringify([entry]));
    expect(parsed).toMatchObject({
      name: 'chaos',
      env: { CHAOS_EFFECTS_FILE: '/tmp/e.jsonl', CHAOS_CALLS_FILE: '/tmp/c.jsonl', CHAOS_EFFECT_DELAY_MS: '1500' },
      outcomeChecks: { record_effect: 'effect_status' },
    });
    expect(parsed?.args.at(-1)).toMatch(/src\/testing\/mcp\/effect-server\.ts$/);
  });

  it('does not claim the tool deduplicates by idempotency key (it records every execution)', () => {
    const [parsed] = parseMcpServersConfig(JSON.stringify([entry]));
    expect(parsed?.policy?.acceptsIdempotencyKey).toBeUndefined();
  });
});
