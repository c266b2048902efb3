import { defineUpdate } from '@temporalio/workflow';

/** Something a task waits for a person to decide or answer. */
export interface PendingRequest {
  /** The model's tool-call id; what `chassis approve|reject|answer` name. */
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
  callId: string;
  approved: boolean;
  reason?: string;
}

/** Input of the `answerQuestion` update. */
export interface QuestionAnswer {
  callId: string;
  answer: string;
}

/**
 * Approves or rejects a pending tool call. An update, not a signal: the caller learns at
 * once whether the call id was pending (the validator rejects unknown ids cheaply).
 */
export const decideApprovalUpdate = defineUpdate<{ accepted: true }, [ApprovalDecision]>('decideApproval');

/** Answers a question the agent asked with `ask_user`. */
export const answerQuestionUpdate = defineUpdate<{ accepted: true }, [QuestionAnswer]>('answerQuestion');
