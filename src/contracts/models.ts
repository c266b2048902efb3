/** What a model call is for; the routing policy decides a tier from it. */
export type CallPurpose = 'plan' | 'synthesize' | 'step' | 'summarize' | 'extract';

/** Tier names are configurable; `small` and `large` are the defaults. */
export type TierName = string;

/** What a model can do, from the catalog. */
export interface ModelCapabilities {
  tools: boolean;
  jsonSchema: boolean;
}

/** One model as workflows see it: no endpoint, no key, no price. */
export interface ModelView {
  id: string;
  contextWindow: number;
  capabilities: ModelCapabilities;
}

/**
 * One routing rule: when every given condition holds, route to `tier`. Rules are tried
 * in order; the first that matches wins, else `defaultTier`.
 */
export interface RoutingRule {
  /** Shown in the decision's reason. */
  name: string;
  tier: TierName;
  when: {
    purpose?: CallPurpose[];
    /** The plan's hint for a subtask. */
    hint?: TierName[];
    minContextTokens?: number;
    minTools?: number;
    /** Earlier failed attempts of this step (provider failures or invalid outputs). */
    minFailures?: number;
  };
}

/**
 * What a call does when every model of its tier is failing or refusing (breakers open):
 * move to another tier if the catalog allows it, else wait durably for the tier to come
 * back, and fail with `Model.TierUnavailable` once `maxWaitSeconds` have passed.
 */
export interface TierUnavailablePolicy {
  /**
   * The tier a call moves to when its own is unavailable, e.g. `{ "small": "large" }`.
   * Opt-in per tier because a larger tier usually costs more. A call moves at most once
   * per tier; when the target is unavailable too, it waits.
   */
  moveTo: Record<TierName, TierName>;
  /** The longest one call waits, in total, before it fails. */
  maxWaitSeconds: number;
}

/** The routing configuration, fetched once per task by `describeModels`. */
export interface RoutingConfig {
  rules: RoutingRule[];
  defaultTier: TierName;
  /** The tier a small-model output escalates to when it fails validation. */
  escalationTier: TierName;
  /** Tiers allowed to escalate (the cascade). */
  cascadeFrom: TierName[];
  /** Absent in histories recorded before it existed: then a tier's calls wait with the defaults. */
  whenTierUnavailable?: TierUnavailablePolicy;
}

/** How the worker makes model calls, for the workflow's activity options. */
export interface ModelCallSettings {
  /**
   * The worker's timeout of one HTTP request to a provider (`OPENAI_TIMEOUT_MS`). The model
   * activity's start-to-close timeout is derived from it, so the engine never starts a
   * retry while an earlier attempt's request may still be running (and billed).
   */
  requestTimeoutMs: number;
  /** How long an open model breaker refuses calls (the catalog's `breaker.coolDownSeconds`). */
  breakerCoolDownMs: number;
}

/** Result of `describeModels`: tiers (ordered chains), models and routing rules. */
export interface ModelsDescription {
  tiers: Record<TierName, string[]>;
  models: ModelView[];
  routing: RoutingConfig;
  /** Absent in histories recorded before it existed: then the defaults apply. */
  calls?: ModelCallSettings;
}

/** Why a call went to a model; recorded in the activity input and the task result. */
export interface RouteDecision {
  purpose: CallPurpose;
  tier: TierName;
  model: string;
  /** e.g. `rule plan-large`, `fallback after Model.Unavailable on gpt-4.1`, `escalated: empty answer`. */
  reason: string;
}

/** Usage of one model (or tier) within a task. */
export interface UsageLine {
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * How a task picks its models: routed by the catalog's rules, or pinned to one model. A
 * pinned selection carries the catalog's description too (for call settings and the wait
 * policy) when it was made by code that fetched it.
 */
export type ModelSelection =
  { kind: 'routed'; models: ModelsDescription } | { kind: 'pinned'; model: string; models?: ModelsDescription };
