import type { ChatRequest } from './chat-request';
import { firstSystemMessage, lastMessageWithRole, messageText, offeredToolNames } from './chat-request';
import type { RuleMatch, ScriptRule } from './script-schema';

/** What {@link selectRule} needs besides the request; the caller owns the counters. */
export interface RuleSelectionInput {
  /** The script's rules, in order. */
  rules: readonly ScriptRule[];
  /** The parsed chat-completions request body. */
  request: ChatRequest;
  /** 1-based number of this chat request since the script was set. */
  callNumber: number;
  /** How many times each rule (by index) has answered so far. */
  usesByRule: readonly number[];
  /**
   * Numbers in [0, 1) for rules with a `probability`; drawn once per matching rule that has
   * one. The server passes a generator seeded by the script. @default Math.random
   */
  random?: () => number;
}

/** The rule chosen for a request, with its index so the caller can count the use. */
export interface RuleSelection {
  rule: ScriptRule;
  index: number;
}

function matchesPattern(pattern: string | undefined, text: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (text === undefined) return false;
  return new RegExp(pattern).test(text);
}

/** Whether every condition given in `match` holds for the request. */
export function ruleMatches(match: RuleMatch, request: ChatRequest, callNumber: number): boolean {
  if (match.callNumber !== undefined && match.callNumber !== callNumber) return false;
  if (!matchesPattern(match.model, request.model)) return false;

  const system = firstSystemMessage(request);
  if (!matchesPattern(match.system, system === undefined ? undefined : messageText(system))) return false;

  const lastUser = lastMessageWithRole(request, 'user');
  if (!matchesPattern(match.lastUser, lastUser === undefined ? undefined : messageText(lastUser))) return false;

  if (match.anyMessage !== undefined) {
    const pattern = new RegExp(match.anyMessage);
    if (!request.messages.some((message) => pattern.test(messageText(message)))) return false;
  }

  const lastTool = lastMessageWithRole(request, 'tool');
  if (match.hasToolResults !== undefined && match.hasToolResults !== (lastTool !== undefined)) return false;
  if (!matchesPattern(match.lastToolResult, lastTool === undefined ? undefined : messageText(lastTool))) {
    return false;
  }

  if (match.toolsOffered !== undefined) {
    const offered = new Set(offeredToolNames(request));
    if (!match.toolsOffered.every((name) => offered.has(name))) return false;
  }
  return true;
}

/**
 * Picks the first rule that matches the request, still has uses left and, when it has a
 * `probability`, wins its draw; or `undefined`
 * when none does (the server then fails loudly rather than inventing an answer).
 */
export function selectRule(input: RuleSelectionInput): RuleSelection | undefined {
  for (const [index, rule] of input.rules.entries()) {
    const used = input.usesByRule[index] ?? 0;
    if (rule.times !== undefined && used >= rule.times) continue;
    if (!ruleMatches(rule.match, input.request, input.callNumber)) continue;
    if (rule.probability !== undefined && (input.random ?? Math.random)() >= rule.probability) continue;
    return { rule, index };
  }
  return undefined;
}
