import { defineUpdate } from '@temporalio/workflow';

/** Something a task waits for a person to decide or answer. */
export interface PendingRequest {
  /**
   * The call's key in its workflow run, `<step>/<index>` (`2/1`: step 2, first call of the
   * turn): what `chassis approve|reject|answer` name. Unique in the run, unlike the
   * provider's id. Absent in runs started before call keys (they are named by `callId`).
   */
  callKey?: string;
  /** The model provider's tool-call id; providers may reuse it, so it names a call only while unambiguous. */
  callId: string;
  kind: 'approval' | 'question';
  tool: string;
  /** The call's arguments (JSON text), so a person sees what they approve. */
  arguments: string;
  /** For `question`: what the agent asks. */
  question?: string;
  /** Workflow time (ISO) when it started waiting. */
  since: string;
  /** When an undecided approval is rejected, if it has a timeout. */
  expiresAt?: string;
}

/** Input of the `decideApproval` update. */
export interface ApprovalDecision {
  /**
   * The pending call's key (`2/1`), or the provider's tool-call id while exactly one call
   * of the run has had it. A decision applies to that one pending call, once.
   */
  callId: string;
  approved: boolean;
  reason?: string;
}

/** Input of the `answerQuestion` update. */
export interface QuestionAnswer {
  /** As in {@link ApprovalDecision.callId}. */
  callId: string;
  answer: string;
}

/** What the human-decision updates return: which call the decision went to. */
export interface HumanDecisionAccepted {
  accepted: true;
  /** The call key the decision was applied to (absent from runs started before call keys). */
  callKey?: string;
  tool?: string;
}

/**
 * Approves or rejects a pending tool call. An update, not a signal: the caller learns at
 * once whether the call id was pending (the validator rejects unknown ids cheaply).
 */
export const decideApprovalUpdate = defineUpdate<HumanDecisionAccepted, [ApprovalDecision]>('decideApproval');

/** Answers a question the agent asked with `ask_user`. */
export const answerQuestionUpdate = defineUpdate<HumanDecisionAccepted, [QuestionAnswer]>('answerQuestion');
