import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FailureType } from '../../contracts/failure-types';
import {
  answerQuestionUpdate,
  decideApprovalUpdate,
  type ApprovalDecision,
  type PendingRequest,
} from '../../contracts/human';
import type { ToolCallRequest } from '../../contracts/messages';

function rejectUnknown(message: string): never {
  throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message });
}

/**
 * Where a task waits for people: approvals of tool calls and answers to `ask_user`. The
 * wait is a durable `condition`, so it survives worker restarts and lasts for days; the
 * decision arrives as an update whose validator rejects unknown call ids before anything
 * is written to history.
 */
export class HumanGate {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly decisions = new Map<string, ApprovalDecision>();
  private readonly answers = new Map<string, string>();

  /** Registers the two update handlers on the current workflow. */
  install(): void {
    setHandler(
      decideApprovalUpdate,
      (decision) => {
        this.decisions.set(decision.callId, decision);
        return { accepted: true as const };
      },
      {
        validator: (decision) => {
          if (this.pending.get(decision?.callId)?.kind !== 'approval') {
            rejectUnknown(`no approval is pending for call "${decision?.callId}"; pending: ${this.describePending()}`);
          }
        },
      },
    );
    setHandler(
      answerQuestionUpdate,
      (answer) => {
        this.answers.set(answer.callId, answer.answer);
        return { accepted: true as const };
      },
      {
        validator: (answer) => {
          if (this.pending.get(answer?.callId)?.kind !== 'question') {
            rejectUnknown(`no question is pending for call "${answer?.callId}"; pending: ${this.describePending()}`);
          }
          if (typeof answer.answer !== 'string' || answer.answer.trim() === '') rejectUnknown('the answer is empty');
        },
      },
    );
  }

  /** What is waiting for a person now. */
  list(): PendingRequest[] {
    return [...this.pending.values()];
  }

  private describePending(): string {
    return (
      this.list()
        .map((request) => `${request.callId} (${request.kind} for ${request.tool})`)
        .join(', ') || 'nothing'
    );
  }

  /** Waits for a person to approve or reject `call`; no decision within `timeoutMs` rejects it. */
  async approve(call: ToolCallRequest, timeoutMs?: number): Promise<{ approved: boolean; reason: string }> {
    const since = Date.now();
    this.pending.set(call.id, {
      callId: call.id,
      kind: 'approval',
      tool: call.name,
      arguments: call.arguments,
      since: new Date(since).toISOString(),
      ...(timeoutMs !== undefined ? { expiresAt: new Date(since + timeoutMs).toISOString() } : {}),
    });
    const isDecided = () => this.decisions.has(call.id);
    const decided =
      timeoutMs === undefined ? (await condition(isDecided), true) : await condition(isDecided, timeoutMs);
    this.pending.delete(call.id);
    if (!decided) return { approved: false, reason: `nobody decided within ${(timeoutMs ?? 0) / 1000} s` };
    const decision = this.decisions.get(call.id) as ApprovalDecision;
    return { approved: decision.approved, reason: decision.reason ?? (decision.approved ? 'approved' : 'rejected') };
  }

  /** Waits, for as long as it takes, for a person to answer the agent's question. */
  async ask(call: ToolCallRequest, question: string): Promise<string> {
    this.pending.set(call.id, {
      callId: call.id,
      kind: 'question',
      tool: call.name,
      arguments: call.arguments,
      question,
      since: new Date(Date.now()).toISOString(),
    });
    await condition(() => this.answers.has(call.id));
    this.pending.delete(call.id);
    return this.answers.get(call.id) as string;
  }
}
