import type { ModelSelection } from '../../contracts/models';
import { contextBudget } from './context-budget';

/** The window assumed for a model the catalog does not describe (and in histories from before the catalog had windows). */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/**
 * The smallest context window a step of this loop may be sent to. A routed step can end up
 * on any tier (routing rules, fallbacks, escalation, a tier move when one is down), so the
 * budget must hold for the smallest window of the catalog's tiers; a pinned step goes to
 * its model only.
 */
export function smallestContextWindow(selection: ModelSelection): number {
  const description = selection.models;
  if (description === undefined) return DEFAULT_CONTEXT_WINDOW;
  const windowOf = (id: string) => description.models.find((model) => model.id === id)?.contextWindow;
  const ids = selection.kind === 'pinned' ? [selection.model] : Object.values(description.tiers).flat();
  const windows = ids.map(windowOf).filter((window): window is number => window !== undefined && window > 0);
  return windows.length === 0 ? DEFAULT_CONTEXT_WINDOW : Math.min(...windows);
}

/**
 * The prompt budget of the agent loop's steps, in tokens: the smallest window times the
 * worker's configured share (`CHASSIS_CONTEXT_SHARE`), at most `CHASSIS_CONTEXT_MAX_TOKENS`
 * and the task's own `maxTokens`, always leaving room for the reply (see `contextBudget`). Pure.
 */
export function loopBudgetTokens(selection: ModelSelection, maxTokens?: number): number {
  const settings = selection.models?.context;
  const ceilings = [settings?.maxTokens, maxTokens].filter((value): value is number => value !== undefined);
  return contextBudget({
    contextWindow: smallestContextWindow(selection),
    share: settings?.share,
    maxTokens: ceilings.length === 0 ? undefined : Math.min(...ceilings),
  }).total;
}
