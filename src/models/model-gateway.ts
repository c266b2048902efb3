import OpenAI from 'openai';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import type { ModelCatalog } from './catalog';
import { toOpenAIMessages, toOpenAITools } from './message-conversion';
import { translateProviderError } from './provider-errors';

/** How to reach an OpenAI-compatible endpoint. The key stays in the worker process. */
export interface EndpointOptions {
  baseUrl?: string;
  apiKey?: string;
  /** Per-request timeout; kept below the activity's start-to-close timeout. */
  timeoutMs: number;
}

/** Calls models over the OpenAI chat completions API and prices each call. */
export class ModelGateway {
  private readonly client: OpenAI;

  constructor(
    endpoint: EndpointOptions,
    private readonly catalog: ModelCatalog,
  ) {
    this.client = new OpenAI({
      // The scripted server and local endpoints (Ollama, vLLM) accept any key.
      apiKey: endpoint.apiKey ?? 'not-needed',
      baseURL: endpoint.baseUrl,
      timeout: endpoint.timeoutMs,
      // One retry layer: Temporal retries the activity (DESIGN decision 8).
      maxRetries: 0,
    });
  }

  /** Makes exactly one chat completion call; throws a translated `ApplicationFailure` on error. */
  async complete(input: ModelCallInput, signal?: AbortSignal): Promise<ModelCallResult> {
    const started = Date.now();
    let response: OpenAI.Chat.Completions.ChatCompletion;
    try {
      response = await this.client.chat.completions.create(
        {
          model: input.model,
          messages: toOpenAIMessages(input.messages),
          ...(input.tools !== undefined && input.tools.length > 0 ? { tools: toOpenAITools(input.tools) } : {}),
          ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
        },
        { signal },
      );
    } catch (error) {
      throw translateProviderError(error, input.model);
    }
    const choice = response.choices[0];
    const usage = {
      inputTokens: response.usage?.prompt_tokens ?? 0,
      cachedInputTokens: response.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      outputTokens: response.usage?.completion_tokens ?? 0,
    };
    const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    );
    return {
      model: input.model,
      content: choice?.message.content ?? null,
      toolCalls,
      finishReason: choice?.finish_reason ?? 'unknown',
      usage,
      costUsd: this.catalog.costOf(input.model, usage),
      latencyMs: Date.now() - started,
    };
  }
}
