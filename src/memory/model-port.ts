import type { ModelCallInput, ModelCallResult } from '../contracts/activities';

/**
 * What summarization and fact extraction need from the model layer: one chat completion.
 * `ModelGateway` satisfies it; naming only this keeps the memory layer independent of the
 * gateway's other concerns (routing, caching, breakers).
 */
export interface ChatCompleter {
  complete(input: ModelCallInput, options?: { signal?: AbortSignal }): Promise<ModelCallResult>;
}
