/**
 * Assembles the messages of one model call within a token budget. Pure and sandbox-safe:
 * the workflow calls it before every model call, runs the compression it asks for (the
 * `summarize` activity) and plans again.
 *
 * Layout of the assembled prompt, most stable part first so providers' prompt caches hit:
 *
 *   system prompt · running summary · recent turns verbatim · retrieved memories · instruction · current turn
 *
 * The system prompt, the instruction and the messages of the current turn (tool calls and
 * results the model is working with) are never cut: if they alone exceed the budget the
 * plan says so (`fits: false`) and the caller decides (e.g. fail with `Model.ContextTooLong`).
 */
import type { ChatMessage, ToolDefinition } from '../../contracts/messages';
import { contextBudget, type ContextBudgetOptions } from './context-budget';
import {
  REPLY_PRIMING_TOKENS,
  UNCALIBRATED,
  calibrated,
  estimateMessageTokens,
  estimateMessagesTokens,
  estimateTextTokens,
  estimateToolDefinitionsTokens,
  type TokenCalibration,
} from '../../shared/estimate-tokens';

/** One finished turn of the conversation: the user's message and everything that answered it. */
export interface ConversationTurn {
  /** 1-based and increasing; the summary records the last turn it covers. */
  turn: number;
  /** Kept together: an assistant tool call is never sent without its tool results. */
  messages: ChatMessage[];
}

/** The compressed form of the turns before the verbatim window. */
export interface RunningSummary {
  text: string;
  /** The last turn folded into the summary; later turns are verbatim or due for summarizing. */
  throughTurn: number;
  /** 0 after summarizing turns; +1 each time the summary itself is re-summarized. */
  level: number;
}

/** A memory retrieved for this call (a fact, a chunk, an episode). */
export interface RetrievedMemory {
  id: string;
  text: string;
  /** Higher is more relevant; memories are inserted in this order until their budget is spent. */
  score: number;
  source?: string;
}

/** What {@link planWorkingContext} needs. */
export interface WorkingContextInput {
  systemPrompt: string;
  /** The current instruction (the user's message of this turn); never cut. */
  instruction: string;
  /** Messages of the current turn after the instruction (tool calls and results so far); never cut. */
  currentTurnMessages?: readonly ChatMessage[];
  /** Finished turns, oldest first. Turns the summary covers may be omitted. */
  history: readonly ConversationTurn[];
  summary?: RunningSummary | null;
  memories?: readonly RetrievedMemory[];
  /** Tool definitions sent with the call; they count against the budget. */
  tools?: readonly ToolDefinition[];
  budget: ContextBudgetOptions;
  /** @default {@link UNCALIBRATED} */
  calibration?: TokenCalibration;
}

/** Work the workflow must do (with the `summarize` activity) before the call. */
export type CompressionRequest =
  | {
      /** Fold these turns (and the current summary) into a new summary. */
      kind: 'summarize-turns';
      fromTurn: number;
      throughTurn: number;
      /** The turns' messages, in order, ready for the activity. */
      messages: ChatMessage[];
      /** Longest summary to ask for, in tokens. */
      targetTokens: number;
    }
  | {
      /** The summary outgrew its budget: re-summarize it (hierarchical compression). */
      kind: 'compress-summary';
      targetTokens: number;
    };

/** The assembled call and what it cost. */
export interface WorkingContextPlan {
  messages: ChatMessage[];
  /** Calibrated estimate of the prompt (messages and tools): compare with the budget. */
  estimatedTokens: number;
  /** The same without calibration: pass it to `calibrate` with the provider's reported usage. */
  rawEstimatedTokens: number;
  budgetTokens: number;
  /** False when the parts that are never cut alone exceed the budget. */
  fits: boolean;
  /** Null when the plan is ready; otherwise run it and plan again before calling the model. */
  compression: CompressionRequest | null;
  /** Calibrated tokens of each part. */
  parts: { fixed: number; summary: number; turns: number; memories: number };
  /** Turn numbers sent verbatim. */
  verbatimTurns: number[];
  /** Whether the running summary is in `messages` (it is left out when it does not fit). */
  summaryIncluded: boolean;
  includedMemoryIds: string[];
  omittedMemoryIds: string[];
}

/** Summaries are asked for below their budget so the estimate's error cannot push them over it. */
const SUMMARY_TARGET_SHARE = 0.75;

/** A summary that outgrew its budget is compressed to half of it, leaving room for the next folds. */
const COMPRESSED_SUMMARY_SHARE = 0.5;

/**
 * Below this summary budget no summarization is asked for: a summary that small keeps
 * nothing useful, and asking again and again could not make it fit. Older turns then
 * simply drop out of the prompt (they stay in the episode store).
 */
export const MIN_SUMMARY_TOKENS = 64;

/** The system message that carries the running summary. */
export function summaryMessage(summary: RunningSummary): ChatMessage {
  return {
    role: 'system',
    content: `Summary of the earlier conversation (turns 1-${summary.throughTurn}):\n${summary.text}`,
  };
}

const MEMORY_HEADER =
  'Relevant memories, most relevant first. They may be outdated: prefer the conversation where they disagree.';

function memoryLine(memory: RetrievedMemory): string {
  return memory.source === undefined ? `- ${memory.text}` : `- ${memory.text} (source: ${memory.source})`;
}

/** Memories by descending score (ties by id, for determinism), without repeated ids or texts. */
function rankMemories(memories: readonly RetrievedMemory[]): RetrievedMemory[] {
  const seenIds = new Set<string>();
  const seenTexts = new Set<string>();
  return [...memories]
    .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))
    .filter((memory) => {
      const text = memory.text.trim();
      if (seenIds.has(memory.id) || seenTexts.has(text) || text === '') return false;
      seenIds.add(memory.id);
      seenTexts.add(text);
      return true;
    });
}

interface MemorySelection {
  message: ChatMessage | null;
  tokens: number;
  included: string[];
  omitted: string[];
}

/**
 * Picks memories by relevance within `cap` tokens. A memory that does not fit is skipped
 * and smaller, less relevant ones may still go in: the budget is for relevance per token.
 */
function selectMemories(
  memories: readonly RetrievedMemory[],
  cap: number,
  calibration: TokenCalibration,
): MemorySelection {
  const ranked = rankMemories(memories);
  // The header and message overhead are paid once, and only if one memory goes in.
  const envelope = calibrated(estimateMessageTokens({ role: 'system', content: MEMORY_HEADER }), calibration);
  const lines: string[] = [];
  const included: string[] = [];
  const omitted: string[] = [];
  let tokens = envelope;
  for (const memory of ranked) {
    const line = memoryLine(memory);
    // +1: the line break before each line.
    const cost = calibrated(estimateTextTokens(line) + 1, calibration);
    if (tokens + cost <= cap) {
      lines.push(line);
      included.push(memory.id);
      tokens += cost;
    } else {
      omitted.push(memory.id);
    }
  }
  if (lines.length === 0) return { message: null, tokens: 0, included, omitted };
  return { message: { role: 'system', content: [MEMORY_HEADER, ...lines].join('\n') }, tokens, included, omitted };
}

/**
 * Plans the messages of one model call within its budget. Deterministic: the same input
 * gives the same plan, so it is safe in workflow code and on replay.
 *
 * Steps: the fixed parts (system prompt, instruction, current turn, tools) are counted
 * first and never cut. Of the rest, the summary and the memories get their own sub-budgets;
 * recent turns fill what remains, newest first, whole turns only. When unsummarized turns
 * do not fit, the older ones are handed back in `compression` to be folded into the summary,
 * keeping recent turns to `verbatimTargetShare` of their budget so this happens every few
 * turns rather than every turn. When the summary itself outgrows its budget, it is handed
 * back to be re-summarized. The assembled messages stay within the budget in every case
 * (the summary is left out rather than overflow), provided the fixed parts fit. With a
 * summary budget under {@link MIN_SUMMARY_TOKENS} nothing is summarized: older turns drop out.
 *
 * The caller's loop: plan; while `compression` is set, run `summarize` and {@link applySummary},
 * then plan again (cap the rounds, e.g. at 3, and send the last plan's messages: they are
 * within budget even when compression did not converge).
 */
export function planWorkingContext(input: WorkingContextInput): WorkingContextPlan {
  const calibration = input.calibration ?? UNCALIBRATED;
  const budget = contextBudget(input.budget);
  const tokensOf = (messages: readonly ChatMessage[]): number =>
    calibrated(
      messages.reduce((sum, message) => sum + estimateMessageTokens(message), 0),
      calibration,
    );

  const system: ChatMessage = { role: 'system', content: input.systemPrompt };
  const instruction: ChatMessage = { role: 'user', content: input.instruction };
  const current = [...(input.currentTurnMessages ?? [])];
  const toolTokens = estimateToolDefinitionsTokens(input.tools ?? []);
  const fixed =
    tokensOf([system, instruction, ...current]) + calibrated(toolTokens + REPLY_PRIMING_TOKENS, calibration);
  const room = budget.total - fixed;

  const summary = input.summary ?? null;
  const coveredThrough = summary?.throughTurn ?? 0;
  const unsummarized = input.history.filter((turn) => turn.turn > coveredThrough);

  const summaryCap = Math.max(0, Math.min(budget.summary, room));
  const memoryCap = Math.max(0, Math.min(budget.memories, room - summaryCap));
  const turnCap = Math.max(0, room - summaryCap - memoryCap);

  // Recent turns, newest first, whole turns only.
  const turnTokens = unsummarized.map((turn) => tokensOf(turn.messages));
  const allTurnTokens = turnTokens.reduce((sum, tokens) => sum + tokens, 0);
  let keepFrom = unsummarized.length;
  let verbatimTokens = 0;
  if (allTurnTokens <= turnCap) {
    keepFrom = 0;
    verbatimTokens = allTurnTokens;
  } else {
    const target = Math.floor(turnCap * budget.verbatimTargetShare);
    while (keepFrom > 0) {
      const tokens = turnTokens[keepFrom - 1] ?? 0;
      if (verbatimTokens + tokens > target) break;
      verbatimTokens += tokens;
      keepFrom -= 1;
    }
  }
  const verbatim = unsummarized.slice(keepFrom);
  const toSummarize = unsummarized.slice(0, keepFrom);

  let compression: CompressionRequest | null = null;
  const firstToSummarize = toSummarize[0];
  const lastToSummarize = toSummarize[toSummarize.length - 1];
  const canSummarize = room >= 0 && summaryCap >= MIN_SUMMARY_TOKENS;
  if (canSummarize && firstToSummarize !== undefined && lastToSummarize !== undefined) {
    compression = {
      kind: 'summarize-turns',
      fromTurn: firstToSummarize.turn,
      throughTurn: lastToSummarize.turn,
      messages: toSummarize.flatMap((turn) => turn.messages),
      targetTokens: Math.max(1, Math.floor(summaryCap * SUMMARY_TARGET_SHARE)),
    };
  }

  const memories = selectMemories(input.memories ?? [], memoryCap, calibration);

  // The summary goes in if it fits in what is left; when it outgrew its own cap it asks
  // to be compressed, and until then it may use room the other parts left unused.
  const summaryTokens = summary === null ? 0 : tokensOf([summaryMessage(summary)]);
  const summaryIncluded = summary !== null && summaryTokens <= room - verbatimTokens - memories.tokens;
  if (compression === null && summary !== null && summaryTokens > summaryCap && canSummarize) {
    compression = {
      kind: 'compress-summary',
      targetTokens: Math.max(1, Math.floor(summaryCap * COMPRESSED_SUMMARY_SHARE)),
    };
  }

  const fits = room >= 0;
  const messages: ChatMessage[] = fits
    ? [
        system,
        ...(summaryIncluded && summary !== null ? [summaryMessage(summary)] : []),
        ...verbatim.flatMap((turn) => turn.messages),
        ...(memories.message === null ? [] : [memories.message]),
        instruction,
        ...current,
      ]
    : [system, instruction, ...current];
  const rawEstimatedTokens = estimateMessagesTokens(messages) + toolTokens;
  return {
    messages,
    estimatedTokens: calibrated(rawEstimatedTokens, calibration),
    rawEstimatedTokens,
    budgetTokens: budget.total,
    fits,
    compression,
    parts: {
      fixed,
      summary: fits && summaryIncluded ? summaryTokens : 0,
      turns: fits ? verbatimTokens : 0,
      memories: fits ? memories.tokens : 0,
    },
    verbatimTurns: fits ? verbatim.map((turn) => turn.turn) : [],
    summaryIncluded: fits && summaryIncluded,
    includedMemoryIds: fits ? memories.included : [],
    omittedMemoryIds: fits ? memories.omitted : rankMemories(input.memories ?? []).map((memory) => memory.id),
  };
}

/**
 * Folds a summarize result into the running summary after a {@link CompressionRequest}:
 * `summarize-turns` moves the covered turn forward, `compress-summary` raises the level.
 */
export function applySummary(
  previous: RunningSummary | null | undefined,
  request: CompressionRequest,
  summaryText: string,
): RunningSummary {
  if (request.kind === 'summarize-turns') {
    return { text: summaryText, throughTurn: request.throughTurn, level: previous?.level ?? 0 };
  }
  return { text: summaryText, throughTurn: previous?.throughTurn ?? 0, level: (previous?.level ?? 0) + 1 };
}
