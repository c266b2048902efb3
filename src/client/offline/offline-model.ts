import { loadScriptFile, startScriptedModelServer } from '../../testing/scripted-model';
import type { OfflineModel } from '../../workers/build-dependencies';
import { DEMO_SCRIPT_PATH } from './demo-goal';

/**
 * Starts the scripted model server (a test double, not a model) with the demo script, for a
 * worker the CLI starts without `OPENAI_API_KEY` or `OPENAI_BASE_URL`. It lives in the
 * client, not in `src/workers`: the worker layer takes an endpoint and starts no test double.
 */
export async function startOfflineModel(): Promise<OfflineModel> {
  const server = await startScriptedModelServer({ script: await loadScriptFile(DEMO_SCRIPT_PATH), port: 0 });
  return {
    baseUrl: server.baseURL,
    notice: `no OPENAI_API_KEY or OPENAI_BASE_URL set: answers come from the scripted offline model at ${server.baseURL} (a test double that only knows the demo goal), not a real model`,
    close: () => server.close(),
  };
}
