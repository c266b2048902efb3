import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import type { ModelsDescription } from '../contracts/models';
import type { ModelGateway } from '../models/model-gateway';
import { PromptCache } from '../models/prompt-cache';

/** Input of `describeModels`: nothing to ask yet; an object so fields can be added without breaking callers. */
export type DescribeModelsInput = Record<string, never>;

/** What the model activities need; built once per worker process. */
export interface ModelActivityDependencies {
  /** The catalog, one client per endpoint and this process's circuit breakers. */
  models: ModelGateway;
  /**
   * Enables the prompt-response cache (collection `model_prompt_cache`). Calls still opt
   * in one by one (`cache: true` with `temperature: 0`). @default no cache
   */
  db?: Db;
}

/** Activities that call models; they run on the model task queue. */
export function createModelActivities(dependencies: ModelActivityDependencies) {
  const cache = dependencies.db === undefined ? undefined : new PromptCache(dependencies.db);
  return {
    /**
     * Calls exactly the model it is given; routing and fallbacks are the workflow's. An
     * open breaker fails at once with a non-retryable `Model.CircuitOpen`, so the
     * workflow moves down the chain without waiting for retries.
     */
    async callModel(input: ModelCallInput): Promise<ModelCallResult> {
      return dependencies.models.complete(input, { signal: Context.current().cancellationSignal, cache });
    },

    /** Tiers, routing rules and model views from this worker's catalog; fetched once per task. */
    async describeModels(_input: DescribeModelsInput = {}): Promise<ModelsDescription> {
      return dependencies.models.describe();
    },
  };
}
