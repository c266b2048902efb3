import OpenAI from 'openai';
import { translateProviderError } from '../../src/models/provider-errors';

function apiError(status: number, headers: Record<string, string> = {}, body: Record<string, unknown> = {}) {
  return OpenAI.APIError.generate(
    status,
    { error: { message: `status ${status}`, ...body } },
    undefined,
    new Headers(headers),
  );
}

describe('translateProviderError', () => {
  test('429 is retryable and Retry-After becomes the next retry delay', () => {
    const failure = translateProviderError(apiError(429, { 'retry-after': '3' }), 'm');
    expect(failure).toMatchObject({ type: 'Model.RateLimited', nonRetryable: false, nextRetryDelay: 3000 });
  });

  test('retry-after-ms wins over retry-after and is capped', () => {
    expect(
      translateProviderError(apiError(429, { 'retry-after-ms': '250', 'retry-after': '9' }), 'm').nextRetryDelay,
    ).toBe(250);
    expect(translateProviderError(apiError(429, { 'retry-after': '100000' }), 'm').nextRetryDelay).toBe(300_000);
  });

  test.each([408, 409, 500, 502, 503])('%i is retryable', (status) => {
    expect(translateProviderError(apiError(status), 'm')).toMatchObject({
      type: 'Model.Unavailable',
      nonRetryable: false,
    });
  });

  test('401 is a non-retryable authentication failure that says what to check', () => {
    const failure = translateProviderError(apiError(401), 'm');
    expect(failure).toMatchObject({ type: 'Model.Authentication', nonRetryable: true });
    expect(failure.message).toContain('OPENAI_API_KEY');
  });

  test('401 names the key variable of the endpoint that served the call', () => {
    expect(
      translateProviderError(apiError(401), 'm', { endpoint: 'groq', keyVariable: 'GROQ_API_KEY' }).message,
    ).toContain('check GROQ_API_KEY (the key of endpoint "groq")');
    expect(translateProviderError(apiError(401), 'm', { endpoint: 'local' }).message).toContain(
      'endpoint "local" names no apiKeyEnv in the model catalog',
    );
  });

  test('context too long is its own non-retryable type', () => {
    const failure = translateProviderError(apiError(400, {}, { code: 'context_length_exceeded' }), 'm');
    expect(failure).toMatchObject({ type: 'Model.ContextTooLong', nonRetryable: true });
  });

  test('other 4xx are non-retryable bad requests', () => {
    expect(translateProviderError(apiError(422), 'm')).toMatchObject({ type: 'Model.BadRequest', nonRetryable: true });
  });

  test('connection errors and timeouts are retryable', () => {
    expect(translateProviderError(new OpenAI.APIConnectionTimeoutError(), 'm')).toMatchObject({
      type: 'Model.Unavailable',
      nonRetryable: false,
    });
    expect(translateProviderError(new OpenAI.APIConnectionError({ message: 'ECONNREFUSED' }), 'm').message).toContain(
      'ECONNREFUSED',
    );
  });
});

describe('translateProviderError on cancellation', () => {
  test('an aborted request (a cancelled activity) is not reported as a bad request', () => {
    const failure = translateProviderError(new OpenAI.APIUserAbortError(), 'm');
    expect(failure).toMatchObject({ type: 'Model.Unavailable', nonRetryable: false });
    expect(failure.message).toContain('cancelled before the provider answered');
  });
});
