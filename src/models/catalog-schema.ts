import { z } from 'zod';
import type { CallPurpose, RoutingConfig, TierUnavailablePolicy } from '../contracts/models';
import type { BreakerTrigger } from '../resilience/circuit-opening';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/**
 * The zod schema of the model catalog file (`config/models.json`, or the file named by
 * `CHASSIS_MODEL_CATALOG`): endpoints, models with prices, tiers (ordered fallback
 * chains), routing rules, limits and breaker settings. Objects are strict so a misspelled
 * key is an error at start-up instead of a setting that silently does nothing.
 */

/** The endpoint every catalog has, even when the file does not declare it. */
export const OPENAI_ENDPOINT = 'openai';

const CALL_PURPOSES = ['plan', 'synthesize', 'step', 'summarize', 'extract'] as const satisfies readonly CallPurpose[];

/**
 * What a tier does by default when all its models fail: wait (up to 5 minutes per call)
 * rather than move, because moving usually means a larger, dearer tier.
 */
export const DEFAULT_TIER_UNAVAILABLE: TierUnavailablePolicy = { moveTo: {}, maxWaitSeconds: 300 };

/**
 * The routing rules used when the file has no `routing` section: planning and synthesis
 * go to `large`; summaries and fact extraction to `small`; a step goes to `small` unless
 * the plan hints `large`, it offers many tools, its context is big, or it already failed
 * twice. `config/models.json` spells the same rules out (a unit test keeps them equal).
 */
export const DEFAULT_ROUTING: RoutingConfig = {
  rules: [
    { name: 'plan-and-synthesis-large', tier: 'large', when: { purpose: ['plan', 'synthesize'] } },
    { name: 'summarize-and-extract-small', tier: 'small', when: { purpose: ['summarize', 'extract'] } },
    { name: 'step-hint-large', tier: 'large', when: { purpose: ['step'], hint: ['large'] } },
    { name: 'step-many-tools', tier: 'large', when: { purpose: ['step'], minTools: 8 } },
    { name: 'step-big-context', tier: 'large', when: { purpose: ['step'], minContextTokens: 32_000 } },
    { name: 'step-repeated-failures', tier: 'large', when: { purpose: ['step'], minFailures: 2 } },
  ],
  defaultTier: 'small',
  escalationTier: 'large',
  cascadeFrom: ['small'],
  whenTierUnavailable: DEFAULT_TIER_UNAVAILABLE,
};

/**
 * What opens a model's breaker by default: more than 60% of its last 20 calls failed (after
 * at least 5). Not N consecutive errors: under a 30% error storm a model still answers most
 * calls (the engine's 3 attempts give 97%), yet a run of 3 failures comes every ~50 calls and
 * would take it out for a whole cool-down. Simulated over 10,000 calls at 30% errors
 * (`npm run bench -- breakers`): 3-consecutive opened 200 times, this rate trigger 4 times;
 * a model that is down (100% errors) opens it after 5 calls, 70% errors after ~8.
 * Count-based (cockatiel's `CountBreaker`), not time-based (`SamplingBreaker`): model traffic
 * ranges from a call every few seconds to hundreds a second, and a time window's minimum rate
 * either never opens at low traffic or opens on a handful of calls.
 */
export const DEFAULT_MODEL_BREAKER_TRIGGER: BreakerTrigger = { failureRate: 0.6, lastCalls: 20, minimumCalls: 5 };

const ENVIRONMENT_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const dollarsPerMillion = z.number().nonnegative();
const count = z.number().int().nonnegative();

const endpointSchema = z.strictObject({
  /** OpenAI-compatible base URL (`…/v1`). For `openai`: @default OPENAI_BASE_URL, else the OpenAI API */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://localhost:11434/v1' }).optional(),
  /** Name of the environment variable holding the key (read by the worker, never sent to workflows). For `openai`: @default OPENAI_API_KEY */
  apiKeyEnv: z
    .string()
    .regex(ENVIRONMENT_VARIABLE, 'must be an environment variable name, e.g. GROQ_API_KEY')
    .optional(),
  /**
   * How calls to this endpoint stream: `with-usage` asks for `stream: true` with usage in the
   * last chunk (`stream_options.include_usage`); `without-usage` streams without
   * `stream_options`, for servers that reject it (usage is then counted by the worker's
   * tokenizer); `off` never streams (the answer is published whole when it arrives).
   * @default "with-usage"
   */
  streaming: z.enum(['with-usage', 'without-usage', 'off']).optional(),
});

const modelSchema = z.strictObject({
  /** The id sent to the endpoint as `model`, and used by tiers and tasks. */
  id: z.string().min(1),
  /** @default "openai" */
  endpoint: z.string().min(1).default(OPENAI_ENDPOINT),
  /** USD per million tokens; cached input tokens are a subset of input tokens. */
  price: z.strictObject({ input: dollarsPerMillion, cachedInput: dollarsPerMillion, output: dollarsPerMillion }),
  /** Input plus output tokens the model accepts. */
  contextWindow: z.number().int().positive(),
  /** @default tools: true, jsonSchema: false */
  capabilities: z
    .strictObject({ tools: z.boolean().default(true), jsonSchema: z.boolean().default(false) })
    .default({ tools: true, jsonSchema: false }),
});

const ruleSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be a name of letters, digits, ".", "_" or "-"'),
  tier: z.string().min(1),
  when: z
    .strictObject({
      purpose: z.array(z.enum(CALL_PURPOSES)).min(1).optional(),
      hint: z.array(z.string().min(1)).min(1).optional(),
      minContextTokens: count.optional(),
      minTools: count.optional(),
      minFailures: count.optional(),
    })
    .default({}),
});

const tierUnavailableSchema = z.strictObject({
  /** Tier → tier a call may move to when every model of its tier is failing (costs more: opt in). @default {} */
  moveTo: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Longest one call waits, in total, for its tier to come back before it fails. @default 300 */
  maxWaitSeconds: z.number().nonnegative().default(DEFAULT_TIER_UNAVAILABLE.maxWaitSeconds),
});

const routingSchema = z.strictObject({
  rules: z.array(ruleSchema).default(DEFAULT_ROUTING.rules),
  defaultTier: z.string().min(1).default(DEFAULT_ROUTING.defaultTier),
  escalationTier: z.string().min(1).default(DEFAULT_ROUTING.escalationTier),
  cascadeFrom: z.array(z.string().min(1)).default(DEFAULT_ROUTING.cascadeFrom),
  whenTierUnavailable: tierUnavailableSchema.default({
    moveTo: {},
    maxWaitSeconds: DEFAULT_TIER_UNAVAILABLE.maxWaitSeconds,
  }),
});

const limitsSchema = z.strictObject({
  /** Model calls per second across every worker of the task queue (Temporal enforces it). @default unlimited */
  modelCallsPerSecond: z.number().positive().optional(),
  /** Concurrent model calls per worker process. @default 8 */
  maxConcurrentModelCalls: z.number().int().positive().default(8),
});

const triggerSchema = z.union([
  z.strictObject({
    /** Retryable failures (5xx, timeouts, 429) of one model in a row that open its breaker. */
    consecutiveFailures: z.number().int().positive(),
  }),
  z
    .strictObject({
      /** Opens when more than this share of the last `lastCalls` calls failed... */
      failureRate: z.number().gt(0).lt(1),
      lastCalls: z.number().int().positive(),
      /** ...once at least this many calls were made. */
      minimumCalls: z.number().int().positive(),
    })
    .refine((trigger) => trigger.minimumCalls <= trigger.lastCalls, {
      message: 'cannot exceed lastCalls',
      path: ['minimumCalls'],
    }),
]);

const breakerSchema = z
  .strictObject({
    /** What opens a model's breaker. @default {@link DEFAULT_MODEL_BREAKER_TRIGGER} */
    opensOn: triggerSchema.optional(),
    /** Shorthand for `opensOn: { consecutiveFailures: N }` (the catalog's original form). */
    consecutiveFailures: z.number().int().positive().optional(),
    /** How long an open breaker refuses calls before it lets one trial call through. @default 30 */
    coolDownSeconds: z.number().positive().default(30),
  })
  .refine((breaker) => breaker.opensOn === undefined || breaker.consecutiveFailures === undefined, {
    message: 'give "opensOn" or "consecutiveFailures", not both',
  })
  .transform((breaker) => ({
    opensOn: (breaker.opensOn ??
      (breaker.consecutiveFailures === undefined
        ? DEFAULT_MODEL_BREAKER_TRIGGER
        : { consecutiveFailures: breaker.consecutiveFailures })) as BreakerTrigger,
    coolDownSeconds: breaker.coolDownSeconds,
  }));

/** The catalog file as written; cross-references are checked in {@link modelCatalogSchema}. */
const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  /** @default { openai: {} } */
  endpoints: z
    .record(z.string().regex(NAME, 'endpoint names are letters, digits, ".", "_" or "-"'), endpointSchema)
    .default({}),
  models: z.array(modelSchema).min(1, 'the catalog needs at least one model'),
  tiers: z.record(
    z.string().regex(NAME, 'tier names are letters, digits, ".", "_" or "-"'),
    z.array(z.string().min(1)),
  ),
  routing: routingSchema.default({
    rules: DEFAULT_ROUTING.rules,
    defaultTier: DEFAULT_ROUTING.defaultTier,
    escalationTier: DEFAULT_ROUTING.escalationTier,
    cascadeFrom: DEFAULT_ROUTING.cascadeFrom,
    whenTierUnavailable: DEFAULT_TIER_UNAVAILABLE,
  }),
  limits: limitsSchema.default({ maxConcurrentModelCalls: 8 }),
  breaker: breakerSchema.default({ opensOn: DEFAULT_MODEL_BREAKER_TRIGGER, coolDownSeconds: 30 }),
});

function list(values: Iterable<string>): string {
  return [...values].join(', ');
}

type FileOutput = z.output<typeof fileSchema>;

/** Checks that every name the file uses is declared, with one issue per bad reference. */
function checkReferences(file: FileOutput, context: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
  const endpoints = new Set([OPENAI_ENDPOINT, ...Object.keys(file.endpoints)]);
  for (const [name, endpoint] of Object.entries(file.endpoints)) {
    if (name !== OPENAI_ENDPOINT && endpoint.baseUrl === undefined) {
      issue(
        ['endpoints', name, 'baseUrl'],
        `is required for an endpoint other than "${OPENAI_ENDPOINT}" (the OpenAI-compatible server's URL, e.g. http://localhost:11434/v1)`,
      );
    }
  }
  const firstIndex = new Map<string, number>();
  file.models.forEach((model, index) => {
    const earlier = firstIndex.get(model.id);
    if (earlier !== undefined)
      issue(['models', index, 'id'], `"${model.id}" is declared twice (first at models[${earlier}])`);
    else firstIndex.set(model.id, index);
    if (!endpoints.has(model.endpoint)) {
      issue(
        ['models', index, 'endpoint'],
        `"${model.endpoint}" is not a declared endpoint (declared: ${list(endpoints)})`,
      );
    }
  });
  const tiers = new Set(Object.keys(file.tiers));
  for (const [tier, ids] of Object.entries(file.tiers)) {
    if (ids.length === 0)
      issue(['tiers', tier], 'a tier needs at least one model (its first choice, then its fallbacks)');
    const seen = new Set<string>();
    ids.forEach((id, index) => {
      if (!firstIndex.has(id)) {
        issue(['tiers', tier, index], `"${id}" is not a model in the catalog (known: ${list(firstIndex.keys())})`);
      } else if (seen.has(id)) {
        issue(['tiers', tier, index], `"${id}" appears twice in the chain`);
      }
      seen.add(id);
    });
  }
  const tierReference = (path: (string | number)[], tier: string) => {
    if (!tiers.has(tier)) issue(path, `"${tier}" is not a declared tier (declared: ${list(tiers) || 'none'})`);
  };
  const ruleNames = new Set<string>();
  file.routing.rules.forEach((rule, index) => {
    if (ruleNames.has(rule.name)) issue(['routing', 'rules', index, 'name'], `"${rule.name}" is used by two rules`);
    ruleNames.add(rule.name);
    tierReference(['routing', 'rules', index, 'tier'], rule.tier);
    rule.when.hint?.forEach((hint, hintIndex) =>
      tierReference(['routing', 'rules', index, 'when', 'hint', hintIndex], hint),
    );
  });
  tierReference(['routing', 'defaultTier'], file.routing.defaultTier);
  tierReference(['routing', 'escalationTier'], file.routing.escalationTier);
  file.routing.cascadeFrom.forEach((tier, index) => tierReference(['routing', 'cascadeFrom', index], tier));
  for (const [from, to] of Object.entries(file.routing.whenTierUnavailable.moveTo)) {
    const path = ['routing', 'whenTierUnavailable', 'moveTo', from];
    tierReference(path, from);
    tierReference(path, to);
    if (from === to) issue(path, `moves "${from}" to itself: name another tier, or leave it out to wait`);
  }
}

/** The schema of a catalog file: shape, defaults, then cross-references; the `openai` endpoint is always present. */
export const modelCatalogSchema = fileSchema.superRefine(checkReferences).transform((file) => ({
  endpoints: { [OPENAI_ENDPOINT]: {}, ...file.endpoints } as Record<string, z.output<typeof endpointSchema>>,
  models: file.models,
  tiers: file.tiers,
  routing: file.routing satisfies RoutingConfig,
  limits: file.limits,
  breaker: file.breaker,
}));

/** A catalog file as written (defaults not yet applied). */
export type ModelCatalogInput = z.input<typeof modelCatalogSchema>;
/** A validated catalog, defaults applied and every reference checked. */
export type ModelCatalogDefinition = z.output<typeof modelCatalogSchema>;
/** One endpoint of a {@link ModelCatalogDefinition}. */
export type EndpointDefinition = ModelCatalogDefinition['endpoints'][string];
/** One model of a {@link ModelCatalogDefinition}. */
export type ModelDefinition = ModelCatalogDefinition['models'][number];

/** The catalog failed validation; `detail` is the one-line `path problem` part. */
export class ModelCatalogError extends ChassisError {
  override readonly name = 'ModelCatalogError';

  constructor(
    readonly detail: string,
    /** Where the catalog came from (a file path), for the message. */
    readonly source?: string,
    /** `unreadable`: the file could not be read at all. */
    readonly problem: 'invalid' | 'unreadable' = 'invalid',
  ) {
    super(
      `model catalog${source === undefined ? '' : ` ${source}`} ${problem === 'invalid' ? 'is invalid' : 'cannot be read'}: ${detail}`,
    );
  }
}

/** True for a {@link ModelCatalogError} from any copy of this module. */
export const isModelCatalogError = markErrorClass(ModelCatalogError, 'ModelCatalogError');

/** Formats a zod issue path the way a reader writes it: `models[2].endpoint`, `tiers.small[1]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(segment)))
      formatted += formatted === '' ? String(segment) : `.${String(segment)}`;
    else formatted += `[${JSON.stringify(String(segment))}]`;
  }
  return formatted === '' ? '(catalog)' : formatted;
}

/**
 * Validates a catalog file's JSON and applies its defaults.
 *
 * @throws {ModelCatalogError} with one line naming the first bad path, e.g.
 *   `models[2].endpoint "foo" is not a declared endpoint (declared: openai, local)`.
 */
export function parseModelCatalog(json: unknown, source?: string): ModelCatalogDefinition {
  const result = modelCatalogSchema.safeParse(json);
  if (result.success) return result.data;
  const [first, ...others] = result.error.issues;
  if (first === undefined) throw new ModelCatalogError('unknown validation error', source);
  // Messages that start with the offending value read as a sentence after the path.
  const separator = first.message.startsWith('"') ? ' ' : ': ';
  const more = others.length === 0 ? '' : ` (and ${others.length} more problem${others.length === 1 ? '' : 's'})`;
  throw new ModelCatalogError(`${formatIssuePath(first.path)}${separator}${first.message}${more}`, source);
}
