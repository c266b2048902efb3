import { ConfigError } from '../../src/config/config-error';
import { loadConfig } from '../../src/config/load-config';
import { buildDependencies } from '../../src/workers/build-dependencies';

describe('buildDependencies without a model key', () => {
  test('is refused unless the caller brings an offline model (the worker layer starts no test double)', async () => {
    const built = buildDependencies(loadConfig({}, '/project'), { log: () => undefined });
    await expect(built).rejects.toThrow(ConfigError);
    await expect(built).rejects.toThrow(
      /^no OPENAI_API_KEY or OPENAI_BASE_URL set: set one to reach a model, or start the worker with "chassis worker"/,
    );
  });
});
