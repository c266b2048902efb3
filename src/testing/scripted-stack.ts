import { ModelCatalog } from '../models/catalog';
import { ModelGateway } from '../models/model-gateway';
import { startScriptedModelServer, type ModelScriptInput, type ScriptedModelServer } from './scripted-model';

/** A script whose only rule never matches: tests set their own with `setScript`, and a stray call fails loudly. */
export const NOTHING_MATCHES: ModelScriptInput = {
  rules: [{ name: 'nothing-matches', match: { callNumber: 1_000_000 }, reply: { content: '' } }],
};

/** Starts the scripted model server (a test double for the provider) without logging script misses. */
export function startQuietScriptedModel(script: ModelScriptInput = NOTHING_MATCHES): Promise<ScriptedModelServer> {
  return startScriptedModelServer({ script, log: () => undefined });
}

/** A model gateway whose every model is answered by `model`, priced by the default catalog. */
export function scriptedGateway(model: ScriptedModelServer, timeoutMs = 10_000): ModelGateway {
  return new ModelGateway({ catalog: new ModelCatalog(), timeoutMs, singleEndpoint: { baseUrl: model.baseURL } });
}
