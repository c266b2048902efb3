import { z } from 'zod';

import { unknownTemplates } from './reply-template';
import { ChassisError, markErrorClass } from '../../shared/chassis-error';

/**
 * The JSON script that drives the scripted model server: an ordered list of rules, each a
 * condition on the chat request and the reply (or fault) to give when it matches.
 *
 * Every object is strict, so a misspelled key (`"mach"` for `"match"`) is an error at load
 * time instead of a rule that silently matches everything.
 */

/** A JavaScript regular expression source, checked at load time so a typo fails early. */
const regularExpressionSource = z.string().superRefine((source, context) => {
  try {
    new RegExp(source);
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
});

const ruleMatchSchema = z.strictObject({
  /** Regex tested against `request.model`. */
  model: regularExpressionSource.optional(),
  /** Regex tested against the content of the first system (or developer) message. */
  system: regularExpressionSource.optional(),
  /** Regex tested against the content of the last user message. */
  lastUser: regularExpressionSource.optional(),
  /** Regex tested against the content of every message; one hit is enough. */
  anyMessage: regularExpressionSource.optional(),
  /** `true`: a `role: 'tool'` message is present; `false`: none is. */
  hasToolResults: z.boolean().optional(),
  /** Regex tested against the content of the last tool message. */
  lastToolResult: regularExpressionSource.optional(),
  /** Every one of these function names is offered in `request.tools`. */
  toolsOffered: z.array(z.string().min(1)).optional(),
  /** Only the Nth chat request since the script was set (1-based). */
  callNumber: z.number().int().positive().optional(),
  /**
   * Only requests whose prompt has at least this many tokens, counted as the server reports
   * usage (characters / 4): with a 400 fault, a provider whose window is smaller than the
   * catalog says.
   */
  minPromptTokens: z.number().int().positive().optional(),
});

const scriptedToolCallSchema = z
  .strictObject({
    /** The function name the model "calls". */
    name: z.string().min(1),
    /** Arguments as JSON; serialized with `JSON.stringify`. @default {} */
    arguments: z.json().optional(),
    /** Arguments sent verbatim, to simulate malformed model output (`"{not json"`). */
    rawArguments: z.string().optional(),
    /** The call's id, to simulate a provider that reuses ids. @default `call_<request>_<index>` */
    id: z.string().min(1).optional(),
  })
  .refine((toolCall) => toolCall.arguments === undefined || toolCall.rawArguments === undefined, {
    message: 'give either "arguments" or "rawArguments", not both',
  });

const replySchema = z
  .strictObject({
    /** Assistant text; may use the `{{lastUser}}`, `{{lastToolResult}}`, `{{toolResult:NAME}}` and `{{toolResult:NAME.FIELD}}` templates. */
    content: z
      .string()
      .superRefine((content, context) => {
        for (const name of unknownTemplates(content)) {
          context.addIssue({
            code: 'custom',
            message: `unknown template {{${name}}}: use {{lastUser}}, {{lastToolResult}}, {{toolResult:NAME}} or {{toolResult:NAME.FIELD}}`,
          });
        }
      })
      .optional(),
    /** Tool calls, all in one assistant turn. */
    toolCalls: z.array(scriptedToolCallSchema).min(1).optional(),
  })
  .refine((reply) => reply.content !== undefined || reply.toolCalls !== undefined, {
    message: 'a reply needs "content", "toolCalls" or both',
  });

const faultSchema = z
  .strictObject({
    /** Delay before answering, in milliseconds; adds to the script-wide `latencyMs`. */
    latencyMs: z.number().int().nonnegative().optional(),
    /** Answer with this HTTP error status and an OpenAI-style error body instead of the reply. */
    status: z.number().int().min(400).max(599).optional(),
    /** Sent as the `Retry-After` header (seconds) with `status`. */
    retryAfterSeconds: z.number().nonnegative().optional(),
    /** Error message for `status`. @default a message naming the rule */
    message: z.string().optional(),
    /** The error body's `code` with `status`, e.g. `context_length_exceeded`. @default what OpenAI sends for the status */
    code: z.string().min(1).optional(),
    /** Never answer: the client times out, or the server closes the connection on `close()`. */
    hang: z.boolean().optional(),
    /**
     * Drop the connection after sending this many chunks of a streamed answer (a provider or
     * network failing mid-stream); a request without `stream: true` is dropped unanswered.
     */
    disconnectAfterChunks: z.number().int().nonnegative().optional(),
  })
  .refine((fault) => !(fault.hang === true && fault.status !== undefined), {
    message: 'a fault cannot both "hang" and answer with a "status"',
  })
  .refine((fault) => fault.disconnectAfterChunks === undefined || (fault.status === undefined && fault.hang !== true), {
    message: '"disconnectAfterChunks" cannot go with a "status" or "hang": it cuts a reply short',
    path: ['disconnectAfterChunks'],
  })
  .refine((fault) => fault.retryAfterSeconds === undefined || fault.status !== undefined, {
    message: '"retryAfterSeconds" needs a "status" to go with it',
    path: ['retryAfterSeconds'],
  })
  .refine((fault) => fault.code === undefined || fault.status !== undefined, {
    message: '"code" needs a "status" to go with it',
    path: ['code'],
  });

const usageSchema = z
  .strictObject({
    inputTokens: z.number().int().nonnegative().optional(),
    outputTokens: z.number().int().nonnegative().optional(),
    cachedInputTokens: z.number().int().nonnegative().optional(),
  })
  .refine(
    (usage) =>
      usage.cachedInputTokens === undefined ||
      usage.inputTokens === undefined ||
      usage.cachedInputTokens <= usage.inputTokens,
    { message: '"cachedInputTokens" cannot exceed "inputTokens"', path: ['cachedInputTokens'] },
  );

/** How an answer streams when the request asks for `stream: true`. */
const streamSchema = z.strictObject({
  /** Pause before each chunk after the first, in milliseconds (a slow model). @default 0 */
  chunkDelayMs: z.number().int().nonnegative().optional(),
});

const ruleSchema = z
  .strictObject({
    /** Names the rule in logs, errors and recorded requests. */
    name: z.string().min(1),
    /** Conditions that must all hold; an omitted field matches anything. @default {} */
    match: ruleMatchSchema.default({}),
    /** The rule answers at most this many times, then is skipped. @default unlimited */
    times: z.number().int().positive().optional(),
    /**
     * The rule takes part in only this fraction of the requests it matches (a fault storm:
     * 0.3 of the calls answer 429). Drawn from the script's seeded random; on the other
     * requests the rule is skipped as if it did not match, and the use is not counted.
     * @default 1
     */
    probability: z.number().min(0).max(1).optional(),
    reply: replySchema.optional(),
    fault: faultSchema.optional(),
    /** Token usage to report; omitted fields are estimated from the text. */
    usage: usageSchema.optional(),
    /** How this rule's answer streams; overrides the script's `stream` settings. */
    stream: streamSchema.optional(),
  })
  .refine((rule) => rule.reply !== undefined || rule.fault?.status !== undefined || rule.fault?.hang === true, {
    message: 'a rule needs a "reply" unless its fault has a "status" or "hang": true',
  });

const embeddingsSchema = z.strictObject({
  /** Vector length when the request does not ask for `dimensions`. @default 64 */
  dimensions: z.number().int().min(1).max(8192).default(64),
});

/** The zod schema of a model script. */
export const modelScriptSchema = z
  .strictObject({
    /** Model name reported when a request names none, and listed by `GET /v1/models`. @default "scripted-model" */
    defaultModel: z.string().min(1).default('scripted-model'),
    /** Extra model names listed by `GET /v1/models` (any name is accepted on requests). */
    models: z.array(z.string().min(1)).optional(),
    /** Delay before every chat and embeddings reply, in milliseconds (benchmarks use it). */
    latencyMs: z.number().int().nonnegative().optional(),
    /** Seed of the random draws of rules with a `probability`, so a storm can be replayed. @default 1 */
    seed: z.number().int().default(1),
    /** Rules, tried in order; the first that matches and has uses left answers. */
    rules: z.array(ruleSchema).min(1),
    embeddings: embeddingsSchema.default({ dimensions: 64 }),
    /** How answers stream when a request asks for `stream: true` (rules may override it). */
    stream: streamSchema.optional(),
  })
  .superRefine((script, context) => {
    // Rule names identify which rule answered in recorded requests; duplicates would make
    // those records ambiguous.
    const seen = new Set<string>();
    script.rules.forEach((rule, index) => {
      if (seen.has(rule.name)) {
        context.addIssue({
          code: 'custom',
          message: `duplicate rule name "${rule.name}"`,
          path: ['rules', index, 'name'],
        });
      }
      seen.add(rule.name);
    });
  });

/** A validated model script, defaults applied. */
export type ModelScript = z.output<typeof modelScriptSchema>;
/** A model script as written (defaults not yet applied); {@link parseScript} turns it into a {@link ModelScript}. */
export type ModelScriptInput = z.input<typeof modelScriptSchema>;
/** One rule of a {@link ModelScript}. */
export type ScriptRule = ModelScript['rules'][number];
/** The conditions of a {@link ScriptRule}. */
export type RuleMatch = ScriptRule['match'];
/** The reply of a {@link ScriptRule}. */
export type ScriptReply = NonNullable<ScriptRule['reply']>;
/** One scripted tool call. */
export type ScriptedToolCall = NonNullable<ScriptReply['toolCalls']>[number];
/** The fault injected by a {@link ScriptRule}. */
export type ScriptFault = NonNullable<ScriptRule['fault']>;
/** How a scripted answer streams. */
export type ScriptStream = NonNullable<ModelScript['stream']>;
/** The token usage a {@link ScriptRule} reports. */
export type ScriptUsage = NonNullable<ScriptRule['usage']>;

/** A model script failed validation; `detail` is the one-line `path: problem` part. */
export class ModelScriptError extends ChassisError {
  override readonly name = 'ModelScriptError';

  constructor(readonly detail: string) {
    super(`model script is invalid: ${detail}`);
  }
}

/** True for a {@link ModelScriptError} from any copy of this module. */
export const isModelScriptError = markErrorClass(ModelScriptError, 'ModelScriptError');

/** Formats a zod issue path the way a reader writes it: `rules[0].reply.content`. */
function formatPath(path: readonly PropertyKey[]): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else formatted += formatted === '' ? String(segment) : `.${String(segment)}`;
  }
  return formatted === '' ? '(script)' : formatted;
}

/**
 * Validates a model script and applies its defaults.
 *
 * @throws {ModelScriptError} with a one-line message naming the first bad path, e.g.
 *   `model script is invalid: rules[0].reply: a reply needs "content", "toolCalls" or both`.
 */
export function parseScript(json: unknown): ModelScript {
  const result = modelScriptSchema.safeParse(json);
  if (result.success) return result.data;
  const [first, ...others] = result.error.issues;
  if (first === undefined) throw new ModelScriptError('(script): unknown validation error');
  const more = others.length === 0 ? '' : ` (and ${others.length} more problem${others.length === 1 ? '' : 's'})`;
  throw new ModelScriptError(`${formatPath(first.path)}: ${first.message}${more}`);
}
