import { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { FailureType } from '../contracts/failure-types';
import type { ModelCatalog } from './catalog';
import { OPENAI_ENDPOINT, type EndpointDefinition } from './catalog-schema';

/** The OpenAI API, for the `openai` endpoint when neither the catalog nor `OPENAI_BASE_URL` names another. */
export const OPENAI_API_BASE_URL = 'https://api.openai.com/v1';

/** The base URL and key of one endpoint, resolved in the worker from the catalog and the environment. */
export interface ResolvedEndpoint {
  name: string;
  /** undefined = the OpenAI API. */
  baseUrl: string | undefined;
  /** undefined when the key variable is unset or the endpoint names none. */
  apiKey: string | undefined;
  /** The environment variable the key comes from, for error messages; never its value. */
  keyVariable: string | undefined;
  /** True when calls cannot work without a key (the OpenAI API, or an endpoint that names a key variable). */
  keyRequired: boolean;
}

/** Sends every endpoint's calls to one place instead (offline mode: the scripted model server). */
export interface SingleEndpoint {
  baseUrl?: string;
  apiKey?: string;
}

// A shell's `FOO=` means unset, as in the config loader.
function variable(environment: Record<string, string | undefined>, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = environment[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Where an endpoint's calls go and with which key. The `openai` endpoint defaults to
 * `OPENAI_BASE_URL` (else the OpenAI API) and `OPENAI_API_KEY`; other endpoints use their
 * declared base URL and, when they name one, the key variable. With `single` set (offline
 * mode) every endpoint is that one base URL and no key is read from the environment.
 */
export function resolveEndpoint(
  name: string,
  definition: EndpointDefinition,
  environment: Record<string, string | undefined>,
  single?: SingleEndpoint,
): ResolvedEndpoint {
  if (single !== undefined) {
    return { name, baseUrl: single.baseUrl, apiKey: single.apiKey, keyVariable: undefined, keyRequired: false };
  }
  const isOpenAI = name === OPENAI_ENDPOINT;
  const baseUrl = definition.baseUrl ?? (isOpenAI ? variable(environment, 'OPENAI_BASE_URL') : undefined);
  const keyVariable = definition.apiKeyEnv ?? (isOpenAI ? 'OPENAI_API_KEY' : undefined);
  return {
    name,
    baseUrl,
    apiKey: variable(environment, keyVariable),
    keyVariable,
    // Local OpenAI-compatible servers (Ollama, vLLM) take any key unless the catalog names one.
    keyRequired: definition.apiKeyEnv !== undefined || baseUrl === undefined,
  };
}

/** Options of {@link EndpointClients}. */
export interface EndpointClientsOptions {
  /** Per-request timeout; kept below the model activity's start-to-close timeout. */
  timeoutMs: number;
  /** Where key variables and `OPENAI_BASE_URL` are read. @default process.env */
  environment?: Record<string, string | undefined>;
  /** Send every endpoint's calls here (offline mode). */
  single?: SingleEndpoint;
}

/** An OpenAI client and the endpoint it talks to. */
export interface EndpointClient {
  client: OpenAI;
  endpoint: ResolvedEndpoint;
}

/**
 * One OpenAI client per endpoint, made on first use so an endpoint nobody calls needs no
 * key. Keys stay in this process: activity inputs carry model ids only (docs/architecture.md, decision 6).
 */
export class EndpointClients {
  private readonly clients = new Map<string, EndpointClient>();
  private readonly environment: Record<string, string | undefined>;

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly options: EndpointClientsOptions,
  ) {
    this.environment = options.environment ?? process.env;
  }

  /**
   * The client of the endpoint serving `model`.
   *
   * @throws a non-retryable `Model.Authentication` failure when the endpoint needs a key and its variable is unset
   */
  clientFor(model: string, endpointName: string): EndpointClient {
    const cached = this.clients.get(endpointName);
    if (cached !== undefined) return cached;
    const definition = this.catalog.endpoint(endpointName) ?? {};
    const endpoint = resolveEndpoint(endpointName, definition, this.environment, this.options.single);
    if (endpoint.apiKey === undefined && endpoint.keyRequired) {
      // Not cached: exporting the variable needs a worker restart anyway, but a test may set it.
      throw ApplicationFailure.create({
        type: FailureType.ModelAuthentication,
        message: `model ${model} is served by endpoint "${endpointName}", whose API key variable ${endpoint.keyVariable ?? '(none)'} is not set in the worker's environment: export it and restart the worker`,
        nonRetryable: true,
      });
    }
    const client = new OpenAI({
      // Local OpenAI-compatible servers and the scripted server accept any key.
      apiKey: endpoint.apiKey ?? 'not-needed',
      // Explicit: left undefined, the client would read OPENAI_BASE_URL itself for every endpoint.
      baseURL: endpoint.baseUrl ?? OPENAI_API_BASE_URL,
      timeout: this.options.timeoutMs,
      // One retry layer: Temporal retries the activity (docs/architecture.md, decision 8).
      maxRetries: 0,
    });
    const created = { client, endpoint };
    this.clients.set(endpointName, created);
    return created;
  }
}
