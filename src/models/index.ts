export { ModelCatalog, defaultModelCatalogDefinition } from './catalog';
export type { ModelCallLimits, ModelEntry, ModelPrice } from './catalog';
export {
  DEFAULT_ROUTING,
  ModelCatalogError,
  OPENAI_ENDPOINT,
  formatIssuePath,
  modelCatalogSchema,
  parseModelCatalog,
} from './catalog-schema';
export type { EndpointDefinition, ModelCatalogDefinition, ModelCatalogInput, ModelDefinition } from './catalog-schema';
export { loadModelCatalog } from './load-model-catalog';
export { EndpointClients, OPENAI_API_BASE_URL, resolveEndpoint } from './endpoint-clients';
export type { EndpointClient, EndpointClientsOptions, ResolvedEndpoint, SingleEndpoint } from './endpoint-clients';
export { ModelGateway } from './model-gateway';
export type { CompleteOptions, EndpointOptions, ModelGatewayOptions } from './model-gateway';
export {
  createModelBreaker,
  countsAsModelFailure,
  describeModelFailure,
  modelCircuitOpenFailure,
} from './model-breaker';
export type { ModelBreakerSettings, ModelCircuitOpenDetails } from './model-breaker';
export { PROMPT_CACHE_COLLECTION, PromptCache, isCacheable, promptCacheKey } from './prompt-cache';
export type { CachedModelResponse, PromptCacheOptions } from './prompt-cache';
export { applyResponseFormat, jsonInstruction, jsonSchemaName } from './response-format';
export type { StructuredOutputRequest } from './response-format';
export { translateProviderError } from './provider-errors';
