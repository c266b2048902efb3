/**
 * A deterministic token estimate that runs inside the workflow sandbox (no tokenizer
 * tables, no I/O). It errs on the high side for English prose, code and JSON, and the
 * workflow corrects it with the provider's reported usage through a {@link TokenCalibration}.
 * Exact counts (activities, benchmarks) use the tokenizer in `src/models/token-count.ts`.
 */
import type { ChatMessage, ToolDefinition } from '../contracts/messages';

/** Tokens the chat format adds per message (role and separators), as OpenAI documents it. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Tokens added once per request to prime the assistant's reply. */
export const REPLY_PRIMING_TOKENS = 3;

/** Tokens one tool call or tool definition costs besides its name and JSON text. */
const TOOL_ENVELOPE_TOKENS = 8;

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** ASCII punctuation and symbols. */
function isPunctuation(code: number): boolean {
  return code > 32 && code < 127 && !isAsciiLetter(code) && !isDigit(code);
}

/** Letters of Latin scripts with diacritics, which BPE vocabularies split less well than ASCII. */
function isLatinExtended(code: number): boolean {
  return code >= 0xc0 && code < 0x250;
}

/**
 * Estimated tokens of a text. BPE tokenizers of the o200k/cl100k family turn a common
 * English word (with its leading space) into one token, split long words into pieces of
 * about four letters, numbers into groups of up to three digits, and most punctuation
 * into a token each; scripts without spaces (CJK) take about a token per character.
 */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (isAsciiLetter(code) || isLatinExtended(code)) {
      let letters = 0;
      let extended = 0;
      while (index < length) {
        const next = text.charCodeAt(index);
        if (isAsciiLetter(next)) letters += 1;
        else if (isLatinExtended(next)) extended += 1;
        else break;
        index += 1;
      }
      // Up to 6 letters is usually one token; longer words cost a token per ~4 more letters.
      const wordLength = letters + extended;
      tokens += (wordLength <= 6 ? 1 : 1 + Math.ceil((wordLength - 6) / 4)) + Math.ceil(extended / 2);
    } else if (isDigit(code)) {
      let digits = 0;
      while (index < length && isDigit(text.charCodeAt(index))) {
        digits += 1;
        index += 1;
      }
      tokens += Math.ceil(digits / 3);
    } else if (isSpace(code)) {
      let spaces = 0;
      let newlines = 0;
      while (index < length && isSpace(text.charCodeAt(index))) {
        if (text.charCodeAt(index) === 10) newlines += 1;
        spaces += 1;
        index += 1;
      }
      // A single space joins the next word's token; runs of indentation and line breaks do not.
      if (newlines > 0 || spaces > 1) tokens += 1;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      // A surrogate pair (emoji, rare CJK): several byte-level tokens.
      tokens += 2;
      index += 2;
    } else if (code >= 0x250) {
      // Other scripts: about one token per character (CJK), often fewer (Cyrillic, Greek).
      tokens += 1;
      index += 1;
    } else {
      // Runs of ASCII punctuation (`});`, `=>`, `",`) often merge into one token per pair.
      let marks = 0;
      while (index < length && isPunctuation(text.charCodeAt(index))) {
        marks += 1;
        index += 1;
      }
      if (marks === 0) {
        marks = 1;
        index += 1;
      }
      tokens += Math.ceil(marks / 2);
    }
  }
  return tokens;
}

/** Estimated tokens of one chat message, its overhead and tool calls included. */
export function estimateMessageTokens(message: ChatMessage): number {
  let tokens = MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(message.content ?? '');
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      tokens += TOOL_ENVELOPE_TOKENS + estimateTextTokens(call.name) + estimateTextTokens(call.arguments);
    }
  }
  if (message.role === 'tool') tokens += estimateTextTokens(message.toolCallId);
  return tokens;
}

/** Estimated tokens of the messages of one request, reply priming included. */
export function estimateMessagesTokens(messages: readonly ChatMessage[]): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) tokens += estimateMessageTokens(message);
  return tokens;
}

/** Estimated tokens the tool definitions of a request add to its prompt. */
export function estimateToolDefinitionsTokens(tools: readonly ToolDefinition[]): number {
  let tokens = 0;
  for (const tool of tools) {
    tokens +=
      TOOL_ENVELOPE_TOKENS +
      estimateTextTokens(tool.name) +
      estimateTextTokens(tool.description) +
      estimateTextTokens(JSON.stringify(tool.parameters));
  }
  return tokens;
}

/**
 * How far the estimate is from what the provider counts: `reported ≈ estimate × ratio`.
 * Kept in workflow state and updated after every model call.
 */
export interface TokenCalibration {
  ratio: number;
  /** Number of model calls folded in. */
  observations: number;
}

/** The calibration before any model call: trust the estimate. */
export const UNCALIBRATED: TokenCalibration = { ratio: 1, observations: 0 };

/** Ratios outside this range mean a broken report (0 tokens, a cached count), not a tokenizer difference. */
const RATIO_LIMITS = { min: 0.25, max: 4 } as const;

/** Weight of a new observation once several are in; the first few count fully so a bad start is corrected fast. */
const SMOOTHING = 0.3;

/**
 * Folds one model call into the calibration: `estimatedTokens` is what the plan estimated
 * for the request (uncalibrated), `reportedTokens` the provider's `prompt_tokens`.
 * Observations with no usable numbers leave it unchanged.
 */
export function calibrate(
  calibration: TokenCalibration,
  observation: { estimatedTokens: number; reportedTokens: number },
): TokenCalibration {
  const { estimatedTokens, reportedTokens } = observation;
  if (!(estimatedTokens > 0) || !(reportedTokens > 0)) return calibration;
  const observed = Math.min(RATIO_LIMITS.max, Math.max(RATIO_LIMITS.min, reportedTokens / estimatedTokens));
  const weight = Math.max(SMOOTHING, 1 / (calibration.observations + 1));
  const ratio = calibration.ratio + weight * (observed - calibration.ratio);
  // Rounded so the state stays short and replays compare equal.
  return { ratio: Math.round(ratio * 10_000) / 10_000, observations: calibration.observations + 1 };
}

/** An estimate corrected by the calibration, rounded up so budgets stay on the safe side. */
export function calibrated(estimatedTokens: number, calibration: TokenCalibration = UNCALIBRATED): number {
  return Math.ceil(estimatedTokens * calibration.ratio);
}
