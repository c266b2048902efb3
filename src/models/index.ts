export { ModelCatalog } from './catalog';
export type { ModelEntry, ModelPrice } from './catalog';
export { ModelGateway } from './model-gateway';
export type { EndpointOptions } from './model-gateway';
export { translateProviderError } from './provider-errors';
