import type { ModelCatalog } from '../models/catalog';
import { OPENAI_API_BASE_URL, resolveEndpoint } from '../models/endpoint-clients';
import { maskUri } from '../config/mask-secrets';
import { connectionErrorReason } from './connection-labels';

/** An OpenAI-compatible endpoint the worker calls, as the health probe and the start-up block see it. */
export interface ModelEndpointTarget {
  /** The catalog's endpoint name, or `scripted` offline. */
  name: string;
  baseUrl: string;
  /** Sent as a bearer token by the probe; never printed. */
  apiKey?: string;
  /** The variable the key comes from, for messages. */
  keyVariable?: string;
  /** Set offline: what the health line says instead of an address. */
  description?: string;
}

/**
 * The endpoints of the models a worker may call: every endpoint of the catalog's models
 * (only the pinned model's when `CHASSIS_MODEL` is set), with the URL and key the model
 * gateway would use.
 */
export function modelEndpointTargets(
  catalog: ModelCatalog,
  options: { pinned?: string; environment?: Record<string, string | undefined> } = {},
): ModelEndpointTarget[] {
  const environment = options.environment ?? process.env;
  const models = options.pinned === undefined ? catalog.ids() : [options.pinned];
  const names = [...new Set(models.map((id) => catalog.get(id)?.endpoint).filter((name) => name !== undefined))];
  return names.map((name) => {
    const endpoint = resolveEndpoint(name, catalog.endpoint(name) ?? {}, environment);
    return {
      name,
      baseUrl: endpoint.baseUrl ?? OPENAI_API_BASE_URL,
      ...(endpoint.apiKey === undefined ? {} : { apiKey: endpoint.apiKey }),
      ...(endpoint.keyVariable === undefined ? {} : { keyVariable: endpoint.keyVariable }),
    };
  });
}

/** Where an endpoint is, for messages: its host and path, never a key. */
export function endpointLabel(target: ModelEndpointTarget): string {
  try {
    const url = new URL(target.baseUrl);
    return `${url.host}${url.pathname.replace(/\/$/, '')}`;
  } catch {
    return maskUri(target.baseUrl);
  }
}

/**
 * Checks that an endpoint answers: `GET <baseURL>/models` with a short timeout. Any HTTP
 * answer but 401/403 counts as reachable (some OpenAI-compatible servers have no
 * `/models` route and answer 404); a rejected key is reported as such.
 *
 * @returns undefined when it answers, else why not in a few words
 */
export async function probeModelEndpoint(target: ModelEndpointTarget, timeoutMs = 3_000): Promise<string | undefined> {
  try {
    const response = await fetch(`${target.baseUrl.replace(/\/$/, '')}/models`, {
      headers: target.apiKey === undefined ? {} : { authorization: `Bearer ${target.apiKey}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.status === 401 || response.status === 403) {
      return `HTTP ${response.status}: the key${target.keyVariable === undefined ? '' : ` in ${target.keyVariable}`} was rejected`;
    }
    if (response.status >= 500) return `HTTP ${response.status}`;
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if ((error as Error).name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    return connectionErrorReason(cause ?? error);
  }
}

/** The models part of the health line: ok when every endpoint answers. */
export async function probeModelEndpoints(
  targets: readonly ModelEndpointTarget[],
  timeoutMs?: number,
): Promise<{ ok: boolean; detail: string }> {
  const outcomes = await Promise.all(
    targets.map(async (target) => ({ target, problem: await probeModelEndpoint(target, timeoutMs) })),
  );
  const down = outcomes.filter((outcome) => outcome.problem !== undefined);
  const describe = (target: ModelEndpointTarget) => target.description ?? endpointLabel(target);
  if (down.length === 0) return { ok: true, detail: targets.map(describe).join(', ') };
  return {
    ok: false,
    detail: down.map(({ target, problem }) => `${describe(target)}: ${problem ?? ''}`).join('; '),
  };
}
