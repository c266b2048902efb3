import { ApplicationFailure } from '@temporalio/common';
import defaultCatalogFile from '../../config/models.json';
import { FailureType } from '../contracts/failure-types';
import type { ModelsDescription, RoutingConfig, TierName } from '../contracts/models';
import type { ModelBreakerSettings } from './model-breaker';
import { parseModelCatalog, type EndpointDefinition, type ModelCatalogDefinition } from './catalog-schema';

/** Prices in USD per million tokens. */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

/** What the worker knows about one model. */
export interface ModelEntry {
  id: string;
  /** Name of the endpoint that serves it (a key of the catalog's `endpoints`). */
  endpoint: string;
  price: ModelPrice;
  contextWindow: number;
  capabilities: { tools: boolean; jsonSchema: boolean };
}

/** Worker limits from the catalog, for the model worker's options (docs/architecture.md, decision 9). */
export interface ModelCallLimits {
  /** Temporal's `maxTaskQueueActivitiesPerSecond` on the model queue. @default unlimited */
  modelCallsPerSecond?: number;
  /** The model worker's `maxConcurrentActivityTaskExecutions`. @default 8 */
  maxConcurrentModelCalls: number;
}

let defaultDefinition: ModelCatalogDefinition | undefined;

/** The validated built-in catalog, `config/models.json` (bundled with the code). */
export function defaultModelCatalogDefinition(): ModelCatalogDefinition {
  defaultDefinition ??= parseModelCatalog(defaultCatalogFile, 'config/models.json (built in)');
  return defaultDefinition;
}

/**
 * The model catalog of a worker: which models exist, the endpoint serving each, their
 * prices, tiers (ordered fallback chains) and routing rules. Built from a validated
 * definition ({@link loadModelCatalog} reads one from a file); the default is the
 * built-in `config/models.json`.
 */
export class ModelCatalog {
  readonly definition: ModelCatalogDefinition;
  private readonly entries: Map<string, ModelEntry>;

  constructor(definition: ModelCatalogDefinition = defaultModelCatalogDefinition()) {
    this.definition = definition;
    this.entries = new Map(definition.models.map((model) => [model.id, model]));
  }

  /** The entry for `id`, or undefined when the model is not in the catalog. */
  get(id: string): ModelEntry | undefined {
    return this.entries.get(id);
  }

  /** Every model id, in catalog order. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The entry for `id`.
   *
   * @throws a non-retryable `ApplicationFailure` of type `Model.Unknown` listing the known ids
   */
  require(id: string): ModelEntry {
    const entry = this.entries.get(id);
    if (entry !== undefined) return entry;
    throw ApplicationFailure.create({
      type: FailureType.ModelUnknown,
      message: `model "${id}" is not in the model catalog (known: ${this.ids().join(', ')}): pick one of those, or add it to the catalog file (config/models.json, or the file named by CHASSIS_MODEL_CATALOG) and restart the worker`,
      nonRetryable: true,
    });
  }

  /** How to reach `name` as declared (base URL and key variable; no key). */
  endpoint(name: string): EndpointDefinition | undefined {
    return this.definition.endpoints[name];
  }

  /** Tiers: ordered model ids, the first choice first, then its fallbacks. */
  get tiers(): Record<TierName, string[]> {
    return this.definition.tiers;
  }

  get routing(): RoutingConfig {
    return this.definition.routing;
  }

  get limits(): ModelCallLimits {
    return this.definition.limits;
  }

  /** Breaker settings for `createModelBreaker`. */
  get breaker(): ModelBreakerSettings {
    return {
      opensOn: this.definition.breaker.opensOn,
      coolDownMs: this.definition.breaker.coolDownSeconds * 1000,
    };
  }

  /**
   * What workflows may know: tiers, routing rules and each model's id, context window and
   * capabilities; no endpoints, keys or prices. A deep copy, safe to hand out.
   */
  describe(): ModelsDescription {
    return structuredClone({
      tiers: this.definition.tiers,
      models: this.definition.models.map((model) => ({
        id: model.id,
        contextWindow: model.contextWindow,
        capabilities: { tools: model.capabilities.tools, jsonSchema: model.capabilities.jsonSchema },
      })),
      routing: this.definition.routing,
    });
  }

  /**
   * Cost in USD of one call. Cached input tokens are a subset of input tokens (as the
   * OpenAI API reports them) and are billed at the cached price. A model not in the
   * catalog costs 0 (unknown) rather than a guess.
   */
  costOf(id: string, usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number }): number {
    const entry = this.entries.get(id);
    if (entry === undefined) return 0;
    const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
    const dollars =
      uncached * entry.price.input +
      usage.cachedInputTokens * entry.price.cachedInput +
      usage.outputTokens * entry.price.output;
    return dollars / 1_000_000;
  }
}
