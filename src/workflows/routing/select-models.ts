import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ModelSelection } from '../../contracts/models';
import { workerLookup } from '../activity-options';

/**
 * Patch id: a pinned task fetches the catalog's description too. Tasks started before it
 * made no such call, and their histories must replay without it.
 */
export const PINNED_MODEL_SETTINGS_PATCH = 'pinned-model-settings-v1';

/**
 * The models of a task: routed by the catalog's rules, or pinned to `model`. Either way the
 * worker's description of the catalog is read once and recorded in history: routing needs
 * its tiers and rules, and every model call its call settings (the request timeout the
 * activity's timeouts derive from) and what to do when its models are unavailable.
 */
export async function selectModels(model: string | undefined): Promise<ModelSelection> {
  const { describeModels } = proxyActivities<Activities>(workerLookup);
  if (model === undefined) return { kind: 'routed', models: await describeModels({}) };
  if (!patched(PINNED_MODEL_SETTINGS_PATCH)) return { kind: 'pinned', model };
  return { kind: 'pinned', model, models: await describeModels({}) };
}
