import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ToolCallResult } from '../contracts/activities';
import type { UnknownOutcome } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { ToolCallRequest } from '../contracts/messages';
import { toolHeartbeatTimeoutMs, unknownOutcomeResult, type AgentTool, type ToolPolicy } from '../contracts/tools';
import { activityCallFailure } from './activity-failures';
import { toolCall } from './activity-options';
import type { HumanGate } from './human/human-gate';

/**
 * Start-to-close room beyond the tool's timeout and the outage budget: a cache read against
 * a down database, a minute to record an effect's outcome, a tool that ignores its signal.
 * Recovery from a dead worker comes from the heartbeat timeout, not from this.
 */
const START_TO_CLOSE_MARGIN_MS = 90_000;

/**
 * Activity options from the tool's policy. The tool's own `timeoutMs` is enforced inside
 * the activity; start-to-close also covers waiting for MongoDB, and the heartbeat timeout
 * (a few seconds) is what notices a dead worker. Changing these options does not affect
 * replay (commands are matched by activity id and type).
 */
function optionsFor(policy: ToolPolicy | undefined): ActivityOptions {
  if (policy === undefined) return toolCall;
  return {
    startToCloseTimeout: policy.timeoutMs + (policy.outageBudgetMs ?? 0) + START_TO_CLOSE_MARGIN_MS,
    heartbeatTimeout: toolHeartbeatTimeoutMs(policy),
    retry: {
      initialInterval: policy.initialRetryIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: policy.maximumAttempts,
    },
  };
}

const { callTool } = proxyActivities<Activities>(toolCall);
const { callTool: callToolLocally } = proxyLocalActivities<Activities>(toolCall);

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * The failure of a task whose tool call could not run because infrastructure (MongoDB) was
 * down through every attempt. Failing the task, rather than telling the model the tool
 * failed, keeps the outage from being mistaken for the tool's answer; the calls that did
 * complete are in the history, so a reset resumes from there without repeating them.
 */
function infrastructureFailure(call: ToolCallRequest, cause: ApplicationFailure, waitedMs: number): ApplicationFailure {
  const { workflowId, parent } = workflowInfo();
  const resume =
    parent === undefined
      ? `run "chassis retry ${workflowId}" once it is back to resume the task from its last good point`
      : `its parent task records this subtask as failed; run the task again once it is back`;
  return ApplicationFailure.create({
    type: FailureType.InfraUnavailable,
    message:
      `tool call ${call.name} (${call.id}) could not run because infrastructure was unavailable for ${formatDuration(waitedMs)} ` +
      `through every attempt (last: ${cause.message}). The model was not told the tool failed; ${resume}.`,
    // A retry of the workflow (if one is configured) resumes once the database is back.
    nonRetryable: false,
  });
}

/**
 * Patch id: a side-effecting call whose last attempt ended with its outcome open is reported
 * unknown rather than failed (and is not handed to a fallback, which could repeat it).
 */
export const OPEN_OUTCOME_UNKNOWN_PATCH = 'tool-open-outcome-unknown-v1';

/**
 * Patch id: a side-effecting call whose last attempt ended with its outcome open gets up to
 * {@link OPEN_OUTCOME_ROUNDS} further rounds (new activities with the same idempotency key)
 * before it is reported unknown. Every attempt of a round can die without ever reaching the
 * ledger (worker kills while MongoDB is down: each costs an attempt), and the next round then
 * resolves the claim by looking at what happened (the tool's outcome check) instead of
 * giving up on an outcome that can be known.
 */
export const OPEN_OUTCOME_RESOLVE_PATCH = 'tool-open-outcome-resolve-v1';

/** Further rounds for a call whose outcome is open; each round has the tool's own attempts. */
const OPEN_OUTCOME_ROUNDS = 2;

/**
 * Patch id: tools whose policy says `local` (pure and fast: calculator, clock) run as local
 * activities, inside the workflow task that asked for them. Calls recorded before it ran as
 * activities and must replay so.
 */
export const LOCAL_TOOLS_PATCH = 'tool-calls-local-v1';

/** The same timeouts and retries as a local activity (no heartbeat: a local tool is short). */
function localOptionsFor(policy: ToolPolicy): LocalActivityOptions {
  const { heartbeatTimeout: _heartbeatTimeout, ...options } = optionsFor(policy);
  return options;
}

/**
 * Runs one call: as a local activity for a local tool, else as an activity with the tool's
 * options. `round` > 0: a further round of a call whose outcome was left open.
 */
async function execute(
  call: ToolCallRequest,
  tool: AgentTool | undefined,
  key: string,
  round: number,
): Promise<ToolCallResult> {
  const summary = round === 0 ? `tool ${call.name}` : `tool ${call.name} (resolving its open outcome)`;
  const input = { call, idempotencyKey: key, ...(round === 0 ? {} : { resolvingOpenOutcome: true }) };
  if (tool?.policy?.local === true && patched(LOCAL_TOOLS_PATCH)) {
    return callToolLocally.executeWithOptions({ ...localOptionsFor(tool.policy), summary }, [input]);
  }
  return callTool.executeWithOptions({ ...optionsFor(tool?.policy), summary }, [input]);
}

async function attempt(
  call: ToolCallRequest,
  tool: AgentTool | undefined,
  key: string,
  round = 0,
): Promise<ToolCallResult> {
  const startedAt = Date.now();
  try {
    return await execute(call, tool, key, round);
  } catch (error) {
    // An activity's failure arrives inside an ActivityFailure (kept as recorded, even a
    // cancelled one), a local activity's unwrapped.
    const failure =
      error instanceof ActivityFailure
        ? { message: error.cause?.message ?? error.message }
        : activityCallFailure(error);
    if (failure === undefined) throw error;
    const cause = error instanceof ActivityFailure ? error.cause : error;
    if (cause instanceof ApplicationFailure && cause.type === FailureType.InfraUnavailable) {
      throw infrastructureFailure(call, cause, Date.now() - startedAt);
    }
    // The last attempt of a call with side effects stopped (timed out: its worker died, or
    // the server lost it) or left an earlier attempt's claim open: the effect may have
    // happened. "Failed" would invite the model to repeat it.
    const outcomeOpen =
      cause instanceof TimeoutFailure ||
      (cause instanceof ApplicationFailure && cause.type === FailureType.ToolOutcomeOpen);
    if (tool?.policy?.idempotent === false && outcomeOpen && patched(OPEN_OUTCOME_UNKNOWN_PATCH)) {
      if (round < OPEN_OUTCOME_ROUNDS && patched(OPEN_OUTCOME_RESOLVE_PATCH))
        return attempt(call, tool, key, round + 1);
      return unknownOutcomeResult(call, `its attempts ended before its outcome was known (${failure.message})`);
    }
    return {
      callId: call.id,
      name: call.name,
      ok: false,
      error: {
        type: FailureType.ToolTransient,
        message: `${call.name} kept failing after retries: ${failure.message}`,
      },
    };
  }
}

function handsOver(result: ToolCallResult): boolean {
  return (
    !result.ok && (result.error.type === FailureType.ToolTransient || result.error.type === FailureType.ToolCircuitOpen)
  );
}

function questionOf(call: ToolCallRequest): string | undefined {
  try {
    const parsed = JSON.parse(call.arguments) as { question?: unknown };
    return typeof parsed.question === 'string' && parsed.question.trim() !== '' ? parsed.question : undefined;
  } catch {
    return undefined;
  }
}

/** Where a call sits in its workflow run: the loop step and its place among that step's calls (1-based). */
export interface CallPosition {
  step: number;
  index: number;
}

/** The call's key in its run, `<step>/<index>`: what people name when they approve or answer it. */
export function callKeyOf(position: CallPosition): string {
  return `${position.step}/${position.index}`;
}

/** A person answers `ask_user`-like tools; the workflow waits durably for the answer. */
async function askPerson(call: ToolCallRequest, callKey: string, gate: HumanGate): Promise<ToolCallResult> {
  const question = questionOf(call);
  if (question === undefined) {
    return {
      callId: call.id,
      name: call.name,
      ok: false,
      error: {
        type: FailureType.ToolInvalidArguments,
        message: `invalid arguments for ${call.name}: question must be a non-empty string. Example: {"question":"Which city?"}`,
      },
    };
  }
  return { callId: call.id, name: call.name, ok: true, output: await gate.ask(call, callKey, question) };
}

/**
 * Marks runs that refuse calls of tools the task was not given (older runs sent them to the
 * worker, which ran any registered tool without its approval) and that apply a fallback's
 * own policy (offered, approval) before handing a call over to it.
 */
const OFFERED_TOOLS_ONLY_PATCH = 'offered-tools-only';

function notOffered(call: ToolCallRequest, tools: AgentTool[]): ToolCallResult {
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    error: {
      type: FailureType.ToolUnknown,
      message: `tool "${call.name}" is not available to this task; available: ${tools.map((tool) => tool.name).join(', ') || '(none)'}`,
    },
  };
}

/** Waits for a person when the tool needs approval; the observation of a refusal, or undefined to go on. */
async function approval(
  call: ToolCallRequest,
  tool: AgentTool | undefined,
  callKey: string,
  gate: HumanGate,
): Promise<ToolCallResult | undefined> {
  if (!tool?.policy?.requiresApproval) return undefined;
  const decision = await gate.approve(call, callKey, tool.policy.approvalTimeoutMs);
  if (decision.approved) return undefined;
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    error: { type: FailureType.ToolRejected, message: `a person did not approve this call: ${decision.reason}` },
  };
}

/** The unknown outcome a result reports, or undefined. */
function unknownOutcomeOf(result: ToolCallResult, call: ToolCallRequest, step: number, key: string) {
  if (result.ok || result.error.type !== FailureType.ToolOutcomeUnknown) return undefined;
  return { tool: call.name, callId: call.id, step, idempotencyKey: key, message: result.error.message };
}

/**
 * Runs one tool call. A person answers `answeredByPerson` tools and must first approve
 * `requiresApproval` ones; the rest run as an activity with the tool's own timeout and
 * retry policy. After the engine's retries (or with its breaker open) a tool with a
 * fallback hands the same arguments to the fallback; whatever fails in the end becomes an
 * observation for the model. A call whose outcome is unknown is reported through
 * `onUnknownOutcome` (and never handed to a fallback, which could repeat it). Infrastructure
 * down through every attempt fails the task with `Infra.Unavailable`.
 */
export async function runToolCall(
  call: ToolCallRequest,
  tools: AgentTool[],
  position: CallPosition,
  gate: HumanGate,
  onUnknownOutcome?: (outcome: UnknownOutcome) => void,
): Promise<ToolCallResult> {
  const { step } = position;
  const tool = tools.find((candidate) => candidate.name === call.name);
  // The worker's registry would run any registered tool, gated or not: a call of a tool this
  // task was not given is refused here, so an injected instruction cannot reach past the list.
  if (tool === undefined && patched(OFFERED_TOOLS_ONLY_PATCH)) return notOffered(call, tools);
  if (tool?.policy?.answeredByPerson) return askPerson(call, callKeyOf(position), gate);
  const refused = await approval(call, tool, callKeyOf(position), gate);
  if (refused !== undefined) return refused;
  const key = `${workflowInfo().workflowId}/step-${step}/${call.id}`;
  const result = await attempt(call, tool, key);
  const unknown = unknownOutcomeOf(result, call, step, key);
  if (unknown !== undefined) onUnknownOutcome?.(unknown);
  const fallbackName = tool?.policy?.fallback;
  if (!handsOver(result) || fallbackName === undefined) return result;
  const fallback = tools.find((candidate) => candidate.name === fallbackName);
  const fallbackCall = { ...call, name: fallbackName };
  if (patched(OFFERED_TOOLS_ONLY_PATCH)) {
    // A fallback has its own policy: one the task was not given is not used, a gated one waits for a person.
    if (fallback === undefined) return result;
    const fallbackRefused = await approval(fallbackCall, fallback, `${callKeyOf(position)}/fallback`, gate);
    if (fallbackRefused !== undefined) return { ...fallbackRefused, callId: call.id, name: call.name };
  }
  const fallbackResult = await attempt(fallbackCall, fallback, `${key}/fallback`);
  const fallbackUnknown = unknownOutcomeOf(fallbackResult, fallbackCall, step, `${key}/fallback`);
  if (fallbackUnknown !== undefined) onUnknownOutcome?.(fallbackUnknown);
  const note = `${call.name} failed (${result.ok ? '' : result.error.message}); its fallback ${fallbackName} answered instead`;
  return fallbackResult.ok
    ? { ...fallbackResult, callId: call.id, name: call.name, output: `[${note}]\n${fallbackResult.output}` }
    : { ...fallbackResult, callId: call.id, name: call.name };
}
