import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import { FailureType } from '../../contracts/failure-types';
import {
  answerQuestionUpdate,
  decideApprovalUpdate,
  type ApprovalDecision,
  type HumanDecisionAccepted,
  type PendingRequest,
} from '../../contracts/human';
import type { ToolCallRequest } from '../../contracts/messages';

/**
 * Marks runs whose approvals and answers are keyed by the workflow's own call key
 * (`<step>/<index>`) and used once. Older runs keyed them by the provider's tool-call id and
 * kept them, so a provider that reused an id got a later call approved by an earlier
 * decision; they keep that behaviour on replay (it is in their histories).
 */
export const CALL_KEYS_PATCH = 'human-gate-call-keys';

function rejectUnknown(message: string): never {
  throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message });
}

/**
 * Where a task waits for people: approvals of tool calls and answers to `ask_user`. The
 * wait is a durable `condition`, so it survives worker restarts and lasts for days; the
 * decision arrives as an update whose validator rejects anything not pending before it is
 * written to history.
 *
 * Each request is keyed by its call key, unique in the workflow run, and each decision is
 * consumed by the one call it names: the provider's tool-call id is only a convenience
 * alias, accepted while exactly one call of the run has had it.
 */
export class HumanGate {
  /** By call key (or, in runs from before {@link CALL_KEYS_PATCH}, by provider id). */
  private readonly pending = new Map<string, PendingRequest>();
  private readonly decisions = new Map<string, ApprovalDecision>();
  private readonly answers = new Map<string, string>();
  private readonly usedKeys = new Set<string>();
  /** How many calls of this run the provider gave each id: an id given twice names no call. */
  private readonly providerIdUses = new Map<string, number>();

  /** Registers the two update handlers on the current workflow. */
  install(): void {
    setHandler(
      decideApprovalUpdate,
      (decision): HumanDecisionAccepted => {
        const key = this.resolve(decision.callId, 'approval') ?? decision.callId;
        this.decisions.set(key, { ...decision, callId: key });
        return this.accepted(key);
      },
      {
        validator: (decision) => {
          if (typeof decision?.callId !== 'string' || typeof decision.approved !== 'boolean') {
            rejectUnknown('a decision needs a callId and approved: true or false');
          }
          this.require(decision.callId, 'approval');
        },
      },
    );
    setHandler(
      answerQuestionUpdate,
      (answer): HumanDecisionAccepted => {
        const key = this.resolve(answer.callId, 'question') ?? answer.callId;
        this.answers.set(key, answer.answer);
        return this.accepted(key);
      },
      {
        validator: (answer) => {
          if (typeof answer?.callId !== 'string') rejectUnknown('an answer needs a callId');
          this.require(answer.callId, 'question');
          if (typeof answer.answer !== 'string' || answer.answer.trim() === '') rejectUnknown('the answer is empty');
        },
      },
    );
  }

  /** What is waiting for a person now. */
  list(): PendingRequest[] {
    return [...this.pending.values()];
  }

  /**
   * Waits for a person to approve or reject `call`; no decision within `timeoutMs` rejects it.
   *
   * @param callKey the call's key in this run, `<step>/<index>`
   */
  async approve(
    call: ToolCallRequest,
    callKey: string,
    timeoutMs?: number,
  ): Promise<{ approved: boolean; reason: string }> {
    const key = this.open(call, callKey, {
      kind: 'approval',
      ...(timeoutMs !== undefined ? { expiresAt: new Date(Date.now() + timeoutMs).toISOString() } : {}),
    });
    const isDecided = () => this.decisions.has(key);
    const decided =
      timeoutMs === undefined ? (await condition(isDecided), true) : await condition(isDecided, timeoutMs);
    const decision = this.decisions.get(key);
    this.close(call, key, () => this.decisions.delete(key));
    if (!decided || decision === undefined) {
      return { approved: false, reason: `nobody decided within ${(timeoutMs ?? 0) / 1000} s` };
    }
    return { approved: decision.approved, reason: decision.reason ?? (decision.approved ? 'approved' : 'rejected') };
  }

  /** Waits, for as long as it takes, for a person to answer the agent's question. */
  async ask(call: ToolCallRequest, callKey: string, question: string): Promise<string> {
    const key = this.open(call, callKey, { kind: 'question', question });
    await condition(() => this.answers.has(key));
    const answer = this.answers.get(key) as string;
    this.close(call, key, () => this.answers.delete(key));
    return answer;
  }

  /** Registers a pending request; returns the key it waits under. */
  private open(
    call: ToolCallRequest,
    callKey: string,
    request: Pick<PendingRequest, 'kind' | 'question' | 'expiresAt'>,
  ): string {
    const keyed = patched(CALL_KEYS_PATCH);
    const key = keyed ? this.unique(callKey) : call.id;
    if (keyed) this.providerIdUses.set(call.id, (this.providerIdUses.get(call.id) ?? 0) + 1);
    this.pending.set(key, {
      ...(keyed ? { callKey: key } : {}),
      callId: call.id,
      tool: call.name,
      arguments: call.arguments,
      since: new Date(Date.now()).toISOString(),
      ...request,
    });
    return key;
  }

  /** Ends a wait; in keyed runs the decision is used up, so nothing can answer a later call. */
  private close(call: ToolCallRequest, key: string, consume: () => void): void {
    const request = this.pending.get(key);
    this.pending.delete(key);
    if (request?.callKey !== undefined) consume();
  }

  /** The call key itself, or with `#2`, `#3`… if this run used it already (a loop run twice). */
  private unique(callKey: string): string {
    let key = callKey;
    for (let attempt = 2; this.usedKeys.has(key); attempt++) key = `${callKey}#${attempt}`;
    this.usedKeys.add(key);
    return key;
  }

  /**
   * The pending request a reference names: its call key, or the provider's call id when
   * exactly one call of this run had that id. Undefined when it names none.
   */
  private resolve(reference: string, kind: PendingRequest['kind']): string | undefined {
    if (this.pending.get(reference)?.kind === kind) return reference;
    if (this.providerIdUses.get(reference) !== 1) return undefined;
    const matches = this.list().filter(
      (request) => request.kind === kind && request.callKey !== undefined && request.callId === reference,
    );
    return matches.length === 1 ? matches[0]?.callKey : undefined;
  }

  private require(reference: string, kind: PendingRequest['kind']): void {
    if (this.resolve(reference, kind) !== undefined) return;
    const uses = this.providerIdUses.get(reference) ?? 0;
    if (uses > 1) {
      rejectUnknown(
        `call id "${reference}" was given to ${uses} calls of this task by the model provider, so it names none of them: use the call key; pending: ${this.describePending()}`,
      );
    }
    rejectUnknown(`no ${kind} is pending for call "${reference}"; pending: ${this.describePending()}`);
  }

  private accepted(key: string): HumanDecisionAccepted {
    const request = this.pending.get(key);
    return { accepted: true, callKey: key, ...(request !== undefined ? { tool: request.tool } : {}) };
  }

  private describePending(): string {
    return (
      this.list()
        .map((request) => `${request.callKey ?? request.callId} (${request.kind} for ${request.tool})`)
        .join(', ') || 'nothing'
    );
  }
}
