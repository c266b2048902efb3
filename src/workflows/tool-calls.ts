import { ActivityFailure, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ToolCallResult } from '../contracts/activities';
import { FailureType } from '../contracts/failure-types';
import type { ToolCallRequest } from '../contracts/messages';
import type { AgentTool, ToolPolicy } from '../contracts/tools';
import { toolCall } from './activity-options';
import type { HumanGate } from './human/human-gate';

function optionsFor(policy: ToolPolicy | undefined): ActivityOptions {
  if (policy === undefined) return toolCall;
  return {
    startToCloseTimeout: policy.timeoutMs,
    ...(policy.heartbeatTimeoutMs !== undefined ? { heartbeatTimeout: policy.heartbeatTimeoutMs } : {}),
    retry: {
      initialInterval: policy.initialRetryIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: policy.maximumAttempts,
    },
  };
}

const { callTool } = proxyActivities<Activities>(toolCall);

async function attempt(call: ToolCallRequest, tool: AgentTool | undefined, key: string): Promise<ToolCallResult> {
  try {
    return await callTool.executeWithOptions({ ...optionsFor(tool?.policy), summary: `tool ${call.name}` }, [
      { call, idempotencyKey: key },
    ]);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = error.cause?.message ?? error.message;
    return {
      callId: call.id,
      name: call.name,
      ok: false,
      error: { type: FailureType.ToolTransient, message: `${call.name} kept failing after retries: ${reason}` },
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

/** A person answers `ask_user`-like tools; the workflow waits durably for the answer. */
async function askPerson(call: ToolCallRequest, gate: HumanGate): Promise<ToolCallResult> {
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
  return { callId: call.id, name: call.name, ok: true, output: await gate.ask(call, question) };
}

/**
 * Runs one tool call. A person answers `answeredByPerson` tools and must first approve
 * `requiresApproval` ones; the rest run as an activity with the tool's own timeout and
 * retry policy. After the engine's retries (or with its breaker open) a tool with a
 * fallback hands the same arguments to the fallback; whatever fails in the end becomes an
 * observation for the model.
 */
export async function runToolCall(
  call: ToolCallRequest,
  tools: AgentTool[],
  step: number,
  gate: HumanGate,
): Promise<ToolCallResult> {
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (tool?.policy?.answeredByPerson) return askPerson(call, gate);
  if (tool?.policy?.requiresApproval) {
    const decision = await gate.approve(call, tool.policy.approvalTimeoutMs);
    if (!decision.approved) {
      return {
        callId: call.id,
        name: call.name,
        ok: false,
        error: { type: FailureType.ToolRejected, message: `a person did not approve this call: ${decision.reason}` },
      };
    }
  }
  const key = `${workflowInfo().workflowId}/step-${step}/${call.id}`;
  const result = await attempt(call, tool, key);
  const fallbackName = tool?.policy?.fallback;
  if (!handsOver(result) || fallbackName === undefined) return result;
  const fallback = tools.find((candidate) => candidate.name === fallbackName);
  const fallbackResult = await attempt({ ...call, name: fallbackName }, fallback, `${key}/fallback`);
  const note = `${call.name} failed (${result.ok ? '' : result.error.message}); its fallback ${fallbackName} answered instead`;
  return fallbackResult.ok
    ? { ...fallbackResult, callId: call.id, name: call.name, output: `[${note}]\n${fallbackResult.output}` }
    : { ...fallbackResult, callId: call.id, name: call.name };
}
