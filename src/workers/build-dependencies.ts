import path from 'node:path';
import type { ActivityDependencies } from '../activities';
import { usesScriptedModel, type ChassisConfig } from '../config/load-config';
import { ModelCatalog } from '../models/catalog';
import { ModelGateway } from '../models/model-gateway';
import { loadScriptFile, startScriptedModelServer } from '../testing/scripted-model';
import { builtInTools } from '../tools/builtin';
import { ToolRegistry } from '../tools/registry';

/** The demo script the offline worker answers with. */
export const DEMO_SCRIPT_PATH = path.join(__dirname, '..', 'testing', 'scripts', 'demo.json');

/** The goal the demo runs; the demo script answers it. */
export const DEMO_GOAL = 'What is 17.5% of 2,340, and what time is it in UTC?';

/** Activity dependencies plus what must be closed when the process ends. */
export interface BuiltDependencies {
  dependencies: ActivityDependencies;
  /** Set when answers come from the scripted offline model; said to the user once. */
  offlineNotice?: string;
  close(): Promise<void>;
}

/**
 * Builds what activities need from the config. With neither `OPENAI_API_KEY` nor
 * `OPENAI_BASE_URL`, the scripted model server (a test double, not a model) is started
 * with the demo script so the stack works offline; with either set, nothing is scripted.
 */
export async function buildDependencies(config: ChassisConfig): Promise<BuiltDependencies> {
  const tools = new ToolRegistry(builtInTools());
  const catalog = new ModelCatalog();
  if (!usesScriptedModel(config)) {
    const models = new ModelGateway(
      { baseUrl: config.openai.baseUrl, apiKey: config.openai.apiKey, timeoutMs: config.openai.timeoutMs },
      catalog,
    );
    return { dependencies: { models, tools }, close: async () => undefined };
  }
  const server = await startScriptedModelServer({ script: await loadScriptFile(DEMO_SCRIPT_PATH), port: 0 });
  const models = new ModelGateway({ baseUrl: server.baseURL, timeoutMs: config.openai.timeoutMs }, catalog);
  return {
    dependencies: { models, tools },
    offlineNotice: `no OPENAI_API_KEY or OPENAI_BASE_URL set: answers come from the scripted offline model at ${server.baseURL} (a test double that only knows the demo goal), not a real model`,
    close: () => server.close(),
  };
}
