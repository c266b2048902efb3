import { parseScript, startScriptedModelServer } from '../../testing/scripted-model';
// Imported, not read from a path: the compiler then copies it into a built CLI too.
import demoScript from '../../testing/scripts/demo.json';
import type { OfflineModel } from '../../workers/build-dependencies';

/**
 * Starts the scripted model server (a test double, not a model) with the demo script, for a
 * worker the CLI starts without `OPENAI_API_KEY` or `OPENAI_BASE_URL`. It lives in the
 * client, not in `src/workers`: the worker layer takes an endpoint and starts no test double.
 */
export async function startOfflineModel(): Promise<OfflineModel> {
  const server = await startScriptedModelServer({ script: parseScript(demoScript), port: 0 });
  return {
    baseUrl: server.baseURL,
    notice: `no OPENAI_API_KEY or OPENAI_BASE_URL set: answers come from the scripted offline model at ${server.baseURL} (a test double that only knows the demo goal), not a real model`,
    close: () => server.close(),
  };
}
