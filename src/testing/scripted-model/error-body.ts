/** The OpenAI error response body, which the `openai` client turns into an `APIError`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** The `type` and `code` OpenAI sends with each kind of HTTP error, so clients classify them as they would in production. */
function kindForStatus(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'authentication_error', code: 'invalid_api_key' };
  if (status === 403) return { type: 'permission_error', code: null };
  if (status === 404) return { type: 'not_found_error', code: null };
  if (status === 429) return { type: 'rate_limit_error', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/**
 * Builds an OpenAI-style error body. `type` and `code` default to what OpenAI sends for the
 * status; the scripted server's own failures (`script_exhausted`) and faults with a `code`
 * (`context_length_exceeded`) pass theirs explicitly.
 */
export function errorBody(status: number, message: string, kind?: { type?: string; code: string }): OpenAiErrorBody {
  const defaults = kindForStatus(status);
  return { error: { message, type: kind?.type ?? defaults.type, code: kind?.code ?? defaults.code, param: null } };
}
