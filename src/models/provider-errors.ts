import { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { FailureType } from '../contracts/failure-types';

/** Longest Retry-After we honour as a retry delay; beyond it the engine's backoff applies. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const milliseconds = headers?.get('retry-after-ms');
  if (milliseconds) {
    const value = Number(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.min(value, MAX_RETRY_AFTER_MS);
  }
  const seconds = headers?.get('retry-after');
  if (!seconds) return undefined;
  const asNumber = Number(seconds);
  if (Number.isFinite(asNumber)) return Math.min(Math.max(0, asNumber * 1000), MAX_RETRY_AFTER_MS);
  const asDate = Date.parse(seconds);
  return Number.isNaN(asDate) ? undefined : Math.min(Math.max(0, asDate - Date.now()), MAX_RETRY_AFTER_MS);
}

function isContextTooLong(error: InstanceType<typeof OpenAI.APIError>): boolean {
  return (
    error.code === 'context_length_exceeded' || /context length|maximum context|too many tokens/i.test(error.message)
  );
}

function keyAdvice(context: { endpoint?: string; keyVariable?: string }): string {
  if (context.keyVariable !== undefined) {
    const whose = context.endpoint === undefined ? '' : ` (the key of endpoint "${context.endpoint}")`;
    return `check ${context.keyVariable}${whose} in the worker's environment`;
  }
  if (context.endpoint !== undefined) {
    return `endpoint "${context.endpoint}" names no apiKeyEnv in the model catalog: add the variable holding its key`;
  }
  return 'check OPENAI_API_KEY for this endpoint';
}

/**
 * The one translation of provider errors into Temporal failures (docs/architecture.md, decision 8):
 * 408/409/429/5xx and network errors are retryable by the engine, `Retry-After` becomes
 * the next retry delay, every other 4xx is non-retryable because retrying cannot fix it.
 */
export function translateProviderError(
  error: unknown,
  model: string,
  /** Which endpoint and key variable served the call, for the authentication message. */
  context: { endpoint?: string; keyVariable?: string } = {},
): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError || error instanceof OpenAI.APIConnectionError) {
    return ApplicationFailure.create({
      type: FailureType.ModelUnavailable,
      message: `model ${model}: could not reach the provider (${error.message}); the engine will retry`,
      nonRetryable: false,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    // The activity was cancelled (its task was cancelled or timed out): not the provider's fault.
    return ApplicationFailure.create({
      type: FailureType.ModelUnavailable,
      message: `model ${model}: the call was cancelled before the provider answered`,
      nonRetryable: false,
    });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const detail = `model ${model}: provider answered HTTP ${status}: ${error.message}`;
    if (status === 429) {
      const delay = retryAfterMs(error.headers);
      return ApplicationFailure.create({
        type: FailureType.ModelRateLimited,
        message: `${detail}; retrying${delay === undefined ? '' : ` after ${delay} ms as the provider asked`}`,
        nonRetryable: false,
        nextRetryDelay: delay,
      });
    }
    if (status === 408 || status === 409 || status >= 500) {
      return ApplicationFailure.create({ type: FailureType.ModelUnavailable, message: detail, nonRetryable: false });
    }
    if (status === 401 || status === 403) {
      return ApplicationFailure.create({
        type: FailureType.ModelAuthentication,
        message: `${detail}; ${keyAdvice(context)}`,
        nonRetryable: true,
      });
    }
    if (isContextTooLong(error)) {
      return ApplicationFailure.create({ type: FailureType.ModelContextTooLong, message: detail, nonRetryable: true });
    }
    return ApplicationFailure.create({ type: FailureType.ModelBadRequest, message: detail, nonRetryable: true });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({
    type: FailureType.ModelUnavailable,
    message: `model ${model}: unexpected error calling the provider: ${message}`,
    nonRetryable: false,
  });
}
