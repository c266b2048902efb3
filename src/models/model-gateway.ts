import { ApplicationFailure } from '@temporalio/common';
import OpenAIClient, { type OpenAI } from 'openai';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ContextSettings, ModelsDescription } from '../contracts/models';
import { UncountedFailure, type KeyedCircuitBreaker } from '../resilience/keyed-circuit-breaker';
import type { ModelCatalog, ModelEntry } from './catalog';
import { EndpointClients, type EndpointClient, type SingleEndpoint } from './endpoint-clients';
import { toOpenAIMessages, toOpenAITools } from './message-conversion';
import { createModelBreaker } from './model-breaker';
import { isCacheable, promptCacheKey, type PromptCache } from './prompt-cache';
import { translateProviderError } from './provider-errors';
import { applyResponseFormat } from './response-format';
import { answerOfCompletion, StreamAssembly, type AssembledAnswer } from './stream-assembly';
import { countChatTokens, countTokens } from './token-count';

/** Options of {@link ModelGateway}. */
export interface ModelGatewayOptions {
  /** Models, their endpoints, prices and breaker settings. */
  catalog: ModelCatalog;
  /**
   * Per-request timeout (`OPENAI_TIMEOUT_MS`). Workflows read it from `describe()` and set the
   * model activity's start-to-close timeout above it.
   */
  timeoutMs: number;
  /** Where endpoint key variables and `OPENAI_BASE_URL` are read. @default process.env */
  environment?: Record<string, string | undefined>;
  /**
   * Send every model's calls to this one endpoint instead of its catalog endpoint. Offline
   * mode sets it to the scripted model server's base URL; no key is read then.
   * @default each model's own endpoint
   */
  singleEndpoint?: SingleEndpoint;
  /** This process's per-model breakers. @default `createModelBreaker(catalog.breaker)` */
  breakers?: KeyedCircuitBreaker;
  /**
   * The agent loop's prompt budget (`CHASSIS_CONTEXT_SHARE`, `CHASSIS_CONTEXT_MAX_TOKENS`),
   * passed to workflows by `describe()`. @default half the smallest window, no ceiling
   */
  context?: ContextSettings;
  /** Where cache problems are reported (the call goes on without the cache). @default a line on stderr */
  warn?: (message: string) => void;
}

/** Per-call options of {@link ModelGateway.complete}. */
export interface CompleteOptions {
  /** The activity's cancellation signal. */
  signal?: AbortSignal;
  /** The prompt-response cache, when the worker has one; used only for cacheable calls. */
  cache?: PromptCache;
  /**
   * Called for every chunk of a streamed answer with the text it adds ('' for chunks
   * without text, such as tool-call pieces): a sign of life and the tokens to publish. Not
   * called for an answer served from the cache or by an endpoint with `streaming: "off"`.
   */
  onChunk?: (text: string) => void;
}

/**
 * The worker side of model routing: calls exactly the model it is given (the workflow
 * decides which: docs/architecture.md, decision 1) on that model's endpoint, one OpenAI client per
 * endpoint, through the model's circuit breaker, optionally through the prompt-response
 * cache, and prices the call from the catalog.
 */
export class ModelGateway {
  readonly catalog: ModelCatalog;
  readonly breakers: KeyedCircuitBreaker;
  /** Per-request timeout of this gateway's clients. */
  readonly timeoutMs: number;
  private readonly clients: EndpointClients;
  private readonly warn: (message: string) => void;
  private readonly context: ContextSettings | undefined;
  /** Endpoints already warned about for sending no usage. */
  private readonly usageWarned = new Set<string>();

  constructor(options: ModelGatewayOptions) {
    this.catalog = options.catalog;
    this.breakers = options.breakers ?? createModelBreaker(options.catalog.breaker);
    this.timeoutMs = options.timeoutMs;
    this.clients = new EndpointClients(options.catalog, {
      timeoutMs: options.timeoutMs,
      environment: options.environment,
      single: options.singleEndpoint,
    });
    this.warn = options.warn ?? ((message) => process.stderr.write(`${message}\n`));
    this.context = options.context;
  }

  /**
   * Tiers, routing rules and model views for workflows (no endpoints, keys or prices), and
   * the call settings their model activity options are derived from.
   */
  describe(): ModelsDescription {
    return {
      ...this.catalog.describe(),
      calls: { requestTimeoutMs: this.timeoutMs, breakerCoolDownMs: this.breakers.coolDownMs },
      ...(this.context === undefined ? {} : { context: this.context }),
    };
  }

  /**
   * Makes exactly one chat completion call, or serves it from the cache (a cacheable call
   * is looked up first, so a cached answer is served even while the model's breaker is open).
   *
   * @throws a non-retryable `Model.Unknown` failure for a model not in the catalog
   * @throws a non-retryable `Model.CircuitOpen` failure, without calling the provider,
   *   while the model's breaker is open
   * @throws the translated provider failure otherwise (see `translateProviderError`)
   */
  async complete(input: ModelCallInput, options: CompleteOptions = {}): Promise<ModelCallResult> {
    const started = Date.now();
    const entry = this.catalog.require(input.model);
    if (input.tools !== undefined && input.tools.length > 0 && !entry.capabilities.tools) {
      throw ApplicationFailure.create({
        type: FailureType.ModelBadRequest,
        message: `model ${entry.id} cannot call tools (its catalog capabilities say tools: false): route tool-using calls to a model that can`,
        nonRetryable: true,
      });
    }
    const cacheKey = options.cache !== undefined && isCacheable(input) ? promptCacheKey(input) : undefined;
    if (options.cache !== undefined && cacheKey !== undefined) {
      const hit = await this.cached(options.cache, cacheKey, started);
      if (hit !== undefined) return hit;
    }
    // Before the breaker: a missing key is a configuration problem, not a failing model.
    const endpoint = this.clients.clientFor(entry.id, entry.endpoint);
    const result = await this.breakers.execute(entry.id, async () => {
      try {
        return await this.request(entry, endpoint, input, options);
      } catch (error) {
        // A cancelled call (the activity was cancelled or timed out) says nothing about the model.
        throw options.signal?.aborted === true ? new UncountedFailure(error) : error;
      }
    });
    if (options.cache !== undefined && cacheKey !== undefined) {
      await options.cache.put(cacheKey, result).catch((error: unknown) => {
        this.warn(`prompt cache: could not store the answer of ${entry.id} (${String(error)}); not cached`);
      });
    }
    return { ...result, latencyMs: Date.now() - started };
  }

  /** A cache hit billed at zero (nothing reached the provider), or undefined. */
  private async cached(cache: PromptCache, key: string, started: number): Promise<ModelCallResult | undefined> {
    let entry;
    try {
      entry = await cache.get(key);
    } catch (error) {
      // The cache is an optimization: without MongoDB the call goes to the model (docs/architecture.md, decision 5).
      this.warn(`prompt cache: lookup failed (${String(error)}); calling the model`);
      return undefined;
    }
    if (entry === undefined) return undefined;
    return {
      model: entry.model,
      content: entry.content,
      toolCalls: entry.toolCalls,
      finishReason: entry.finishReason,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      latencyMs: Date.now() - started,
      cached: true,
    };
  }

  /**
   * One request to the provider. Streamed unless the endpoint says `streaming: "off"`, and
   * assembled into the same result either way, so callers never see the difference.
   */
  private async request(
    entry: ModelEntry,
    { client, endpoint }: EndpointClient,
    input: ModelCallInput,
    options: CompleteOptions,
  ): Promise<ModelCallResult> {
    const structured = applyResponseFormat(toOpenAIMessages(input.messages), input.responseFormat, entry.capabilities);
    const body = {
      model: entry.id,
      messages: structured.messages,
      ...(input.tools !== undefined && input.tools.length > 0 ? { tools: toOpenAITools(input.tools) } : {}),
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.maxOutputTokens !== undefined ? { max_tokens: input.maxOutputTokens } : {}),
      ...(structured.response_format !== undefined ? { response_format: structured.response_format } : {}),
    };
    const streaming = this.catalog.endpoint(entry.endpoint)?.streaming ?? 'with-usage';
    let answer: AssembledAnswer;
    try {
      if (streaming === 'off') {
        answer = answerOfCompletion(await client.chat.completions.create(body, { signal: options.signal }));
      } else {
        const { data: stream, response } = await client.chat.completions
          .create(
            {
              ...body,
              stream: true,
              ...(streaming === 'with-usage' ? { stream_options: { include_usage: true } } : {}),
            },
            { signal: options.signal },
          )
          .withResponse();
        if (response.headers.get('content-type')?.includes('application/json') === true) {
          // A server that ignores `stream: true` answers whole; the stream would read nothing from it.
          answer = answerOfCompletion((await response.json()) as OpenAI.Chat.Completions.ChatCompletion);
        } else {
          const assembly = new StreamAssembly();
          for await (const chunk of stream) {
            const text = assembly.add(chunk);
            options.onChunk?.(text);
          }
          // The client ends a stream quietly when it is aborted: a cut answer must not pass for a whole one.
          if (options.signal?.aborted === true) throw new OpenAIClient.APIUserAbortError();
          answer = assembly.answer();
          if (!assembly.finished()) {
            throw ApplicationFailure.create({
              type: FailureType.ModelUnavailable,
              message: `model ${entry.id}: the answer stream ended before the answer was complete (no finish reason); the engine will retry`,
              nonRetryable: false,
            });
          }
        }
      }
    } catch (error) {
      throw translateProviderError(error, entry.id, { endpoint: endpoint.name, keyVariable: endpoint.keyVariable });
    }
    const usage = answer.usage ?? this.countedUsage(entry, endpoint.name, input, answer);
    return {
      model: entry.id,
      content: answer.content,
      toolCalls: answer.toolCalls,
      finishReason: answer.finishReason,
      usage,
      costUsd: this.catalog.costOf(entry.id, usage),
      latencyMs: 0,
    };
  }

  /**
   * Usage counted with the worker's tokenizer, for a provider that sent none (an endpoint
   * that streams without `stream_options`). Said once per endpoint: the counts are close,
   * not the provider's.
   */
  private countedUsage(
    entry: ModelEntry,
    endpointName: string,
    input: ModelCallInput,
    answer: AssembledAnswer,
  ): ModelCallResult['usage'] {
    if (!this.usageWarned.has(endpointName)) {
      this.usageWarned.add(endpointName);
      this.warn(
        `model ${entry.id}: endpoint "${endpointName}" sent no token usage; counting it with the worker's tokenizer (set "streaming": "with-usage" or "off" on the endpoint in the model catalog if the server supports it)`,
      );
    }
    const output = [answer.content ?? '', ...answer.toolCalls.map((call) => `${call.name}${call.arguments}`)].join('');
    return { inputTokens: countChatTokens(input.messages), cachedInputTokens: 0, outputTokens: countTokens(output) };
  }
}
