import type { ChatMessage } from './messages';

/**
 * The working memory of one agent loop: what the loop sends the model, kept within the
 * context budget, and what a continued run (continue-as-new) carries. JSON only.
 */

/** Version of {@link LoopMemoryState}; a continued run refuses a state it does not know. */
export const LOOP_MEMORY_SCHEMA_VERSION = 1;

/**
 * One step of the loop, kept whole: the instructions that arrived before its model call,
 * the assistant message and the results of every tool call it made. Compression shortens
 * or folds whole steps, so a tool result never travels without the call that asked for it
 * (OpenAI rejects an orphan tool message).
 */
export interface LoopStep {
  step: number;
  messages: ChatMessage[];
  /** The stored full output (`tool-output:<sha256>`) of tool results that were excerpts, by tool call id. */
  outputRefs?: Record<string, string>;
  /** True once its long tool results and arguments were shortened to excerpts. */
  compacted?: boolean;
}

/** Older steps folded into text by the small model (or, when it is unavailable, a plain digest). */
export interface LoopSummary {
  text: string;
  /** The last step the summary covers. */
  throughStep: number;
  /** 0 after folding steps; +1 each time the summary itself was re-summarized. */
  level: number;
}

/** The agent loop's messages in the form it compresses them. */
export interface LoopMemoryState {
  schemaVersion: typeof LOOP_MEMORY_SCHEMA_VERSION;
  /** The system prompt, the context and the goal: never cut. */
  head: ChatMessage[];
  /** Instructions of steps that were folded into the summary: never cut either. */
  pinned: ChatMessage[];
  summary: LoopSummary | null;
  /** Steps not folded into the summary, oldest first. */
  steps: LoopStep[];
  /**
   * Most tokens a request may have. Starts at the routed models' window times the
   * configured share; lowered for good when a provider answered that a prompt was too long.
   */
  budgetTokens: number;
  /** How the sandbox's token estimate compares with the provider's count (see `calibrate`). */
  calibration: { ratio: number; observations: number };
}

/** What the agent loop carries into a continued run. */
export interface AgentLoopCarry {
  /** The number of the next step. */
  nextStep: number;
  /** The model's last text, the answer so far when the loop stops early. */
  lastContent: string;
  /** Steps in a row whose tool calls were all malformed (see `LoopGuards`). */
  malformedSteps: number;
  memory: LoopMemoryState;
}
