import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../contracts/failure-types';
import type {
  CallPurpose,
  RouteDecision,
  RoutingConfig,
  RoutingRule,
  TierName,
  ModelsDescription,
} from '../../contracts/models';

/** The features of one model call the policy looks at. */
export interface RouteRequest {
  purpose: CallPurpose;
  /** The plan's tier hint for a subtask. */
  hint?: TierName;
  /** Estimated tokens of the messages about to be sent. */
  contextTokens: number;
  toolCount: number;
  /** Earlier failed attempts of this step: provider failures and invalid outputs. */
  failures: number;
}

function ruleMatches(rule: RoutingRule, request: RouteRequest): boolean {
  const { when } = rule;
  if (when.purpose !== undefined && !when.purpose.includes(request.purpose)) return false;
  if (when.hint !== undefined && (request.hint === undefined || !when.hint.includes(request.hint))) return false;
  if (when.minContextTokens !== undefined && request.contextTokens < when.minContextTokens) return false;
  if (when.minTools !== undefined && request.toolCount < when.minTools) return false;
  if (when.minFailures !== undefined && request.failures < when.minFailures) return false;
  return true;
}

/**
 * Picks the tier of a call: the first matching rule, else the default tier. Pure and
 * deterministic, so replay makes the same choice and the reason is in the history.
 */
export function chooseTier(config: RoutingConfig, request: RouteRequest): { tier: TierName; reason: string } {
  for (const rule of config.rules) {
    if (ruleMatches(rule, request)) return { tier: rule.tier, reason: `rule ${rule.name}` };
  }
  return { tier: config.defaultTier, reason: 'default tier' };
}

/** The ordered models of a tier: the first is tried first, the rest are its fallbacks. */
export function tierChain(description: ModelsDescription, tier: TierName): string[] {
  const chain = description.tiers[tier];
  if (chain === undefined || chain.length === 0) {
    // The catalog the task read is in its history: a workflow-task retry would read it again, so fail the task.
    throw ApplicationFailure.create({
      type: FailureType.ModelCatalogInvalid,
      message: `tier "${tier}" has no models; known tiers: ${Object.keys(description.tiers).join(', ')}: fix the model catalog's tiers or routing and run the task again`,
      nonRetryable: true,
    });
  }
  return chain;
}

/** The first decision for a call: its tier's first model. */
export function routeCall(description: ModelsDescription, request: RouteRequest): RouteDecision {
  const { tier, reason } = chooseTier(description.routing, request);
  const [model] = tierChain(description, tier);
  return { purpose: request.purpose, tier, model: model as string, reason };
}
