import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { CallPurpose, ModelCallSettings, ModelSelection, RouteDecision, TierName } from '../contracts/models';
import { modelTaskQueueFor } from '../contracts/task-queues';
import { addUsage, emptyUsage, usageOfModelCall, type Usage } from '../contracts/usage';
import { modelCallOptions } from './activity-options';
import { routeCall, tierChain } from './routing/choose-tier';
import { describeModelCallFailure, FALLBACK_TIER_UNAVAILABLE, TierOutage } from './routing/tier-outage';
import { outputProblem } from './routing/validate-output';

/**
 * Patch id: when every model of a tier fails, the call moves tier or waits (timers) instead
 * of rethrowing. Histories recorded before it rethrew at that point and must replay so.
 */
export const TIER_UNAVAILABLE_PATCH = 'model-tier-unavailable-v1';

/** One logical model call, before routing. */
export interface RoutedCallInput {
  selection: ModelSelection;
  purpose: CallPurpose;
  hint?: TierName;
  messages: ModelCallInput['messages'];
  tools?: ModelCallInput['tools'];
  responseFormat?: ModelCallInput['responseFormat'];
  /** Caps every attempt's output (a nearly spent token budget). */
  maxOutputTokens?: ModelCallInput['maxOutputTokens'];
  /** Checks a JSON answer against what the caller expects; returns a problem or undefined. */
  expectJson?: (value: unknown) => string | undefined;
  /** Estimated tokens of `messages`, for the routing rules. */
  contextTokens: number;
  /** Label for the activity summary in the UI, e.g. `step 3`. */
  label: string;
}

/** The answer of a routed call, the route that produced it and what it cost. */
export interface RoutedCallOutcome {
  result: ModelCallResult;
  route: RouteDecision;
  usage: Usage;
  /** Set when even the last model's output failed validation; the caller decides. */
  problem?: string;
}

/** Model calls go to the model queue next to this workflow's queue (read at call time, not load time). */
function modelActivities(settings: ModelCallSettings | undefined) {
  return proxyActivities<Activities>({
    ...modelCallOptions(settings),
    taskQueue: modelTaskQueueFor(workflowInfo().taskQueue),
  });
}

/**
 * The provider's "context too long" answer behind a failed routed call (rethrown as it is,
 * see {@link callModelRouted}), or undefined for any other error. The agent loop compresses
 * its working memory and retries on it.
 */
export function contextTooLongOf(error: unknown): { message: string } | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.ModelContextTooLong) return undefined;
  return { message: cause.message };
}

/** True when `error` means no model could answer (a failed activity, or a tier that stayed down). */
export function isModelUnavailable(error: unknown): boolean {
  if (error instanceof ActivityFailure) return true;
  return error instanceof ApplicationFailure && error.type === FailureType.ModelTierUnavailable;
}

function failureTypeOf(error: ActivityFailure): string | undefined {
  return error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
}

/**
 * Makes one logical model call with routing, fallbacks and the cascade (docs/architecture.md, decision 1):
 * the policy picks a tier; after the engine's retries a failing model hands over to the
 * next in its tier's chain (a `CircuitOpen` failure does so at once); an unusable output
 * from a cascading tier is escalated once to the escalation tier. When every model of the
 * tier failed, the call moves to the tier the catalog names (`whenTierUnavailable.moveTo`)
 * or waits durably until the earliest breaker half-opens, and fails with
 * `Model.TierUnavailable` only after `maxWaitSeconds`. A context-too-long failure is
 * rethrown for the caller to compress and retry (the agent loop does: see
 * {@link contextTooLongOf}); so is a failure waiting cannot fix.
 */
export async function callModelRouted(input: RoutedCallInput): Promise<RoutedCallOutcome> {
  const description = input.selection.models;
  const { callModel } = modelActivities(description?.calls);
  const offeredTools = (input.tools ?? []).map((tool) => tool.name);
  let usage = emptyUsage();
  let failures = 0;
  let escalated = false;
  let decision: RouteDecision =
    input.selection.kind === 'pinned'
      ? { purpose: input.purpose, tier: 'pinned', model: input.selection.model, reason: 'model pinned by the task' }
      : routeCall(input.selection.models, {
          purpose: input.purpose,
          hint: input.hint,
          contextTokens: input.contextTokens,
          toolCount: offeredTools.length,
          failures: 0,
        });
  let chain = input.selection.kind === 'pinned' ? [decision.model] : tierChain(input.selection.models, decision.tier);
  let index = 0;
  const newOutage = (tier: TierName) =>
    new TierOutage(tier, description?.routing.whenTierUnavailable ?? FALLBACK_TIER_UNAVAILABLE, {
      canMove: input.selection.kind === 'routed',
      breakerCoolDownMs: description?.calls?.breakerCoolDownMs,
    });
  let outage = newOutage(decision.tier);
  for (;;) {
    const model = chain[index] as string;
    const route: RouteDecision = { ...decision, model };
    let result: ModelCallResult;
    try {
      result = await callModel.executeWithOptions({ summary: `${input.label}: ${model} (${route.tier})` }, [
        {
          model,
          messages: input.messages,
          tools: input.tools,
          responseFormat: input.responseFormat,
          ...(input.maxOutputTokens !== undefined ? { maxOutputTokens: input.maxOutputTokens } : {}),
          purpose: input.label,
          route,
        },
      ]);
    } catch (error) {
      if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
      const type = failureTypeOf(error);
      failures++;
      if (type === FailureType.ModelContextTooLong) throw error;
      outage.record(describeModelCallFailure(model, route.tier, error), Date.now());
      if (index + 1 < chain.length) {
        index++;
        usage = addUsage(usage, { fallbacks: 1 });
        decision = { ...decision, reason: `fallback after ${type ?? 'failure'} on ${model} (${failures} failed)` };
        continue;
      }
      const step = outage.next(route.tier, Date.now());
      if (step === undefined || !patched(TIER_UNAVAILABLE_PATCH)) throw error;
      if (step.action === 'fail') {
        throw ApplicationFailure.create({
          type: FailureType.ModelTierUnavailable,
          message: step.message,
          // The call already waited its budget; a workflow retry would only start over.
          nonRetryable: true,
          cause: error,
        });
      }
      usage = addUsage(usage, { fallbacks: 1 });
      if (step.action === 'wait') {
        await sleep(step.waitMs);
        outage.waited(step.waitMs);
      }
      const tier = step.action === 'move' ? step.tier : outage.home;
      chain = input.selection.kind === 'pinned' ? [input.selection.model] : tierChain(input.selection.models, tier);
      index = 0;
      decision = { ...decision, tier, model: chain[0] as string, reason: step.reason };
      continue;
    }
    usage = addUsage(usage, usageOfModelCall(result, route.tier));
    const problem = outputProblem(result, { offeredTools, expectJson: input.expectJson });
    if (problem === undefined) return { result, route, usage };
    const models = input.selection.kind === 'routed' ? input.selection.models : undefined;
    if (models === undefined || escalated || !models.routing.cascadeFrom.includes(route.tier)) {
      return { result, route, usage, problem };
    }
    escalated = true;
    usage = addUsage(usage, { escalations: 1 });
    const tier = models.routing.escalationTier;
    chain = tierChain(models, tier);
    index = 0;
    decision = {
      purpose: input.purpose,
      tier,
      model: chain[0] as string,
      reason: `escalated from ${route.tier}: ${problem}`,
    };
    outage = newOutage(tier);
  }
}
