/**
 * The agent loop's working memory within its context budget: pure, deterministic and
 * sandbox-safe. The loop keeps its messages as whole steps ({@link LoopStep}); before each
 * model call {@link planLoopContext} says what to compress, the workflow does it (the
 * `summarize` activity for folds) and plans again.
 *
 * Layout of a request, most stable part first so providers' prompt caches hit:
 *
 *   head (system prompt · context · goal) · summary of older steps · pinned instructions · steps
 *
 * Three zones of steps, newest first: recent steps verbatim; older steps compacted (long
 * tool results become an excerpt with the stored output's reference, long arguments and
 * texts are shortened); the oldest folded into the summary. The head and the instructions
 * are never cut, and the newest step is never folded (the model is answering its results).
 */
import type { ChatMessage, ToolCallRequest, ToolDefinition } from '../../contracts/messages';
import {
  LOOP_MEMORY_SCHEMA_VERSION,
  type LoopMemoryState,
  type LoopStep,
  type LoopSummary,
} from '../../contracts/working-memory';
import {
  REPLY_PRIMING_TOKENS,
  UNCALIBRATED,
  calibrate,
  calibrated,
  estimateMessageTokens,
  estimateMessagesTokens,
  estimateTextTokens,
  estimateToolDefinitionsTokens,
  type TokenCalibration,
} from '../../shared/estimate-tokens';

/** The built-in tool that reads stored outputs (`src/tools/output-store.ts` holds the same name). */
export const TOOL_OUTPUT_READER = 'tool_output_read';

/** Tunables of {@link planLoopContext}; the defaults suit budgets from a few thousand tokens up. */
export interface LoopContextOptions {
  /** Tool definitions sent with every call; they count against the budget. */
  tools: readonly ToolDefinition[];
  /** Share of the budget the summary of older steps may use. @default 0.15 */
  summaryShare?: number;
  /**
   * After a compression the steps fill at most this share of their room, so compression
   * runs every few steps rather than at every step (and the prompt prefix stays stable for
   * the provider's cache in between). @default 0.6
   */
  targetShare?: number;
  /** Share of that target kept verbatim (the newest steps); the rest is compacted steps. @default 0.5 */
  verbatimShare?: number;
  /**
   * When steps must be folded, the compacted zone is cut to this share of its room, so folds
   * (small-model calls) come in batches rather than one step at a time. @default 0.5
   */
  foldShare?: number;
  /** Characters of a long tool result (or argument, or text) a compacted step keeps. @default 600 */
  excerptChars?: number;
}

const DEFAULTS = {
  summaryShare: 0.15,
  targetShare: 0.6,
  verbatimShare: 0.5,
  foldShare: 0.5,
  excerptChars: 600,
} as const;

/** A fold is asked to stay under this share of the summary's budget, for the estimate's error. */
const FOLD_TARGET_SHARE = 0.75;
/** A summary that outgrew its budget is re-summarized to half of it. */
const COMPRESSED_SUMMARY_SHARE = 0.5;
/** Texts up to this many characters past the excerpt length are left whole: cutting them saves little. */
const EXCERPT_SLACK_CHARS = 200;

/** What to do before the next model call, and whether it can fit at all. */
export interface LoopContextPlan {
  budgetTokens: number;
  /** Calibrated estimate of the request as it is now (messages and tools). */
  estimatedTokens: number;
  /** Calibrated tokens of what is never cut: head, pinned instructions, tools. */
  fixedTokens: number;
  /** Steps to compact (step numbers), oldest first. */
  compact: number[];
  /** Steps to fold into the summary: every step through `throughStep`. */
  fold: {
    throughStep: number;
    /** The folded steps' messages, compacted, without the instructions (they stay pinned). */
    messages: ChatMessage[];
    /** Longest summary to ask for, in tokens. */
    targetTokens: number;
  } | null;
  /** The summary alone outgrew its budget: re-summarize it to this many tokens. */
  compressSummary: { targetTokens: number } | null;
  /**
   * False when what can never be cut (head, pinned instructions, tools, the newest step
   * compacted) alone exceeds the budget: no compression can make the request fit.
   */
  fits: boolean;
}

/** A fresh working memory: the head and the budget. */
export function newLoopMemory(head: readonly ChatMessage[], budgetTokens: number): LoopMemoryState {
  return {
    schemaVersion: LOOP_MEMORY_SCHEMA_VERSION,
    head: [...head],
    pinned: [],
    summary: null,
    steps: [],
    budgetTokens,
    calibration: { ...UNCALIBRATED },
  };
}

/** The message that carries the summary of older steps. */
export function loopSummaryMessage(summary: LoopSummary): ChatMessage {
  return {
    role: 'system',
    content:
      `Summary of your steps 1-${summary.throughStep} on this task (their messages and tool results are no longer shown; ` +
      `a reference such as tool-output:… can be read with ${TOOL_OUTPUT_READER} when that tool is offered):\n${summary.text}`,
  };
}

/** The messages of the next request, in order. */
export function loopMessages(state: LoopMemoryState): ChatMessage[] {
  return [
    ...state.head,
    ...(state.summary === null ? [] : [loopSummaryMessage(state.summary)]),
    ...state.pinned,
    ...state.steps.flatMap((step) => step.messages),
  ];
}

/** Uncalibrated estimate of a request: what `calibrate` compares with the provider's count. */
export function rawRequestTokens(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): number {
  return estimateMessagesTokens(messages) + estimateToolDefinitionsTokens(tools);
}

/**
 * The calibration used for budgeting: only ever above 1. The estimate errs high by design;
 * a provider that counts fewer tokens does not get to push a request past the budget, one
 * that counts more (another tokenizer, another script) makes the estimate safer.
 */
function budgetingCalibration(state: LoopMemoryState): TokenCalibration {
  return { ratio: Math.max(1, state.calibration.ratio), observations: state.calibration.observations };
}

/** Folds a provider's count of a request into the calibration. */
export function observeRequest(
  state: LoopMemoryState,
  observation: { estimatedTokens: number; reportedTokens: number },
): LoopMemoryState {
  return { ...state, calibration: calibrate(state.calibration, observation) };
}

/** Calibrated estimate of the request the state would send now. */
export function estimateLoopRequest(state: LoopMemoryState, tools: readonly ToolDefinition[]): number {
  return calibrated(rawRequestTokens(loopMessages(state), tools), budgetingCalibration(state));
}

function cutBeforeSurrogate(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return index;
  const code = text.charCodeAt(index - 1);
  return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
}

function head(text: string, chars: number): string {
  return text.slice(0, cutBeforeSurrogate(text, chars));
}

function shortenedToolResult(content: string, reference: string | undefined, excerptChars: number): string {
  const shown = head(content, excerptChars);
  const where =
    reference === undefined
      ? ' The rest is no longer available here: call the tool again if you need it.'
      : ` Full output stored as ${reference}; read more with ${TOOL_OUTPUT_READER} {"ref":"${reference}","offset":${shown.length}}.`;
  return `${shown}\n…\n[older tool result shortened to save context: first ${shown.length} of ${content.length} characters shown.${where}]`;
}

function shortenedArguments(call: ToolCallRequest, excerptChars: number): ToolCallRequest {
  if (call.arguments.length <= excerptChars + EXCERPT_SLACK_CHARS) return call;
  // Still valid JSON: providers and transcripts may parse the arguments of earlier calls.
  const start = head(call.arguments, excerptChars);
  return {
    ...call,
    arguments: JSON.stringify({
      note: `arguments shortened to save context (${call.arguments.length} characters)`,
      start,
    }),
  };
}

function shortenedText(text: string, excerptChars: number): string {
  if (text.length <= excerptChars * 2 + EXCERPT_SLACK_CHARS) return text;
  return `${head(text, excerptChars * 2)}\n…\n[shortened to save context: ${text.length} characters in all]`;
}

/**
 * A step with its long tool results, tool-call arguments and texts shortened. Every
 * message stays, so tool calls keep their results; a result that was an excerpt of a
 * stored output keeps the reference and says how to read on.
 */
export function compactStep(step: LoopStep, excerptChars: number = DEFAULTS.excerptChars): LoopStep {
  if (step.compacted) return step;
  const messages = step.messages.map((message): ChatMessage => {
    if (message.role === 'tool') {
      if (message.content.length <= excerptChars + EXCERPT_SLACK_CHARS) return message;
      const reference = step.outputRefs?.[message.toolCallId];
      return { ...message, content: shortenedToolResult(message.content, reference, excerptChars) };
    }
    if (message.role === 'assistant') {
      return {
        ...message,
        content: message.content === null ? null : shortenedText(message.content, excerptChars),
        ...(message.toolCalls === undefined
          ? {}
          : { toolCalls: message.toolCalls.map((call) => shortenedArguments(call, excerptChars)) }),
      };
    }
    // Instructions (user messages) are never cut.
    return message;
  });
  return { ...step, messages, compacted: true };
}

/**
 * Plans the next request within `state.budgetTokens`. Deterministic, so safe in workflow
 * code and on replay. Nothing to do when the request fits and the summary is within its
 * share. Otherwise, walking from the newest step back: steps stay verbatim up to
 * `verbatimShare` of the target, compacted up to the target, and the rest is folded into
 * the summary (in a batch: see `foldShare`). The newest step is never folded. The caller
 * applies the plan and plans again until nothing is left to do (cap the rounds).
 */
export function planLoopContext(state: LoopMemoryState, options: LoopContextOptions): LoopContextPlan {
  const settings = { ...DEFAULTS, ...definedOnly(options) };
  const calibration = budgetingCalibration(state);
  const tokensOf = (messages: readonly ChatMessage[]): number =>
    calibrated(
      messages.reduce((sum, message) => sum + estimateMessageTokens(message), 0),
      calibration,
    );
  const budget = state.budgetTokens;
  const fixed =
    tokensOf([...state.head, ...state.pinned]) +
    calibrated(estimateToolDefinitionsTokens(options.tools) + REPLY_PRIMING_TOKENS, calibration);
  const summaryTokens = state.summary === null ? 0 : tokensOf([loopSummaryMessage(state.summary)]);
  const steps = state.steps;
  const verbatimTokens = steps.map((step) => tokensOf(step.messages));
  const compactTokens = steps.map((step) => tokensOf(compactStep(step, settings.excerptChars).messages));
  const estimated = fixed + summaryTokens + verbatimTokens.reduce((sum, tokens) => sum + tokens, 0);
  const summaryCap = Math.floor(budget * settings.summaryShare);
  const newestMinimum = compactTokens.at(-1) ?? 0;
  const plan: LoopContextPlan = {
    budgetTokens: budget,
    estimatedTokens: estimated,
    fixedTokens: fixed,
    compact: [],
    fold: null,
    compressSummary: null,
    fits: fixed + newestMinimum <= budget,
  };
  if (estimated <= budget && summaryTokens <= summaryCap) return plan;

  const stepsRoom = Math.max(0, budget - fixed - summaryCap);
  const target = Math.floor(stepsRoom * settings.targetShare);
  const zones = assignZones(verbatimTokens, compactTokens, {
    target,
    verbatimTarget: Math.floor(target * settings.verbatimShare),
    newestLimit: stepsRoom,
  });
  let foldCount = zones.foldCount;
  if (foldCount > 0) {
    // Fold more at once: the compacted zone shrinks to `foldShare` of its room.
    const verbatimUsed = zones.verbatimUsed;
    const compactLimit = verbatimUsed + Math.floor((target - verbatimUsed) * settings.foldShare);
    let used = verbatimUsed;
    let index = steps.length - 1 - zones.verbatimCount;
    while (index >= foldCount && used + (compactTokens[index] ?? 0) <= compactLimit) {
      used += compactTokens[index] ?? 0;
      index -= 1;
    }
    foldCount = Math.min(steps.length - 1, Math.max(foldCount, index + 1));
  }
  const firstKept = foldCount;
  const firstVerbatim = steps.length - zones.verbatimCount;
  plan.compact = steps
    .slice(firstKept, firstVerbatim)
    .filter((step) => !step.compacted)
    .map((step) => step.step);
  const lastFolded = steps[foldCount - 1];
  if (lastFolded !== undefined) {
    plan.fold = {
      throughStep: lastFolded.step,
      messages: steps
        .slice(0, foldCount)
        .flatMap((step) => compactStep(step, settings.excerptChars).messages)
        .filter((message) => message.role !== 'user'),
      targetTokens: Math.max(1, Math.floor(summaryCap * FOLD_TARGET_SHARE)),
    };
  } else if (summaryTokens > summaryCap) {
    plan.compressSummary = { targetTokens: Math.max(1, Math.floor(summaryCap * COMPRESSED_SUMMARY_SHARE)) };
  }
  return plan;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Which steps stay verbatim and which are folded, walking from the newest: verbatim while
 * they fit `verbatimTarget` (the newest whenever it fits the steps' whole room: the model is
 * reading it now), compacted while they fit `target`, folded from the first that does not.
 * The newest step is never folded.
 */
function assignZones(
  verbatimTokens: readonly number[],
  compactTokens: readonly number[],
  limits: { target: number; verbatimTarget: number; newestLimit: number },
): { verbatimCount: number; verbatimUsed: number; foldCount: number } {
  const { target, verbatimTarget, newestLimit } = limits;
  const count = verbatimTokens.length;
  let used = 0;
  let verbatimCount = 0;
  let index = count - 1;
  for (; index >= 0; index--) {
    const tokens = verbatimTokens[index] ?? 0;
    const limit = index === count - 1 ? newestLimit : verbatimTarget;
    if (used + tokens > limit) break;
    used += tokens;
    verbatimCount += 1;
  }
  const verbatimUsed = used;
  for (; index >= 0; index--) {
    const tokens = compactTokens[index] ?? 0;
    if (index < count - 1 && used + tokens > target) break;
    used += tokens;
  }
  return { verbatimCount, verbatimUsed, foldCount: index + 1 };
}

/** Compacts the given steps. */
export function applyCompaction(
  state: LoopMemoryState,
  stepNumbers: readonly number[],
  excerptChars: number = DEFAULTS.excerptChars,
): LoopMemoryState {
  const wanted = new Set(stepNumbers);
  return {
    ...state,
    steps: state.steps.map((step) => (wanted.has(step.step) ? compactStep(step, excerptChars) : step)),
  };
}

/**
 * Folds every step through `throughStep` into the summary: the steps go, their
 * instructions join the pinned ones (never cut), the summary takes `text`.
 */
export function applyFold(state: LoopMemoryState, throughStep: number, text: string): LoopMemoryState {
  const folded = state.steps.filter((step) => step.step <= throughStep);
  const instructions = folded.flatMap((step) => step.messages.filter((message) => message.role === 'user'));
  return {
    ...state,
    pinned: [...state.pinned, ...instructions],
    summary: { text, throughStep, level: state.summary?.level ?? 0 },
    steps: state.steps.filter((step) => step.step > throughStep),
  };
}

/** Replaces the summary with its compressed form (hierarchical compression). */
export function applySummaryCompression(state: LoopMemoryState, text: string): LoopMemoryState {
  if (state.summary === null) return state;
  return { ...state, summary: { ...state.summary, text, level: state.summary.level + 1 } };
}

function oneLine(text: string, chars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= chars ? flat : `${head(flat, chars)}…`;
}

/**
 * A plain digest of steps, used when the small model cannot summarize them: the earlier
 * summary's lines, then one line per tool call (name, arguments, the start of the result).
 * Kept within `maxTokens` by dropping the oldest lines first.
 */
export function digestSteps(previous: string | undefined, messages: readonly ChatMessage[], maxTokens: number): string {
  const results = new Map<string, string>();
  for (const message of messages) if (message.role === 'tool') results.set(message.toolCallId, message.content);
  const lines = (previous ?? '').split('\n').filter((line) => line.trim() !== '');
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    if (message.content !== null && message.content.trim() !== '')
      lines.push(`- said: ${oneLine(message.content, 160)}`);
    for (const call of message.toolCalls ?? []) {
      const result = results.get(call.id);
      lines.push(
        `- called ${call.name}(${oneLine(call.arguments, 120)}) → ${result === undefined ? 'no result' : oneLine(result, 160)}`,
      );
    }
  }
  const marker = '(earlier steps omitted)';
  let kept = lines;
  while (kept.length > 1 && estimateTextTokens([marker, ...kept].join('\n')) > maxTokens) kept = kept.slice(1);
  const text = (kept.length < lines.length ? [marker, ...kept] : kept).join('\n');
  if (estimateTextTokens(text) <= maxTokens) return text;
  // One line too long on its own: keep its end, the most recent part.
  const tail = text.slice(-Math.max(0, maxTokens * 2));
  const first = tail.charCodeAt(0);
  return first >= 0xdc00 && first <= 0xdfff ? tail.slice(1) : tail;
}

/**
 * Problems with tool-call pairing in a request: a tool message whose call is not in the
 * assistant message before it, or a call without its result. OpenAI rejects both. Empty
 * when the request is well formed.
 */
export function pairingProblems(messages: readonly ChatMessage[]): string[] {
  const problems: string[] = [];
  let open = new Set<string>();
  for (const [index, message] of messages.entries()) {
    if (message.role === 'tool') {
      if (!open.delete(message.toolCallId))
        problems.push(`message ${index}: tool result ${message.toolCallId} without its call`);
      continue;
    }
    for (const id of open) problems.push(`call ${id} has no result before message ${index}`);
    open = new Set(message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => call.id) : []);
  }
  for (const id of open) problems.push(`call ${id} has no result at the end of the request`);
  return problems;
}
