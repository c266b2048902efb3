/**
 * The one registry of failure types Chassis raises as `ApplicationFailure.type` and returns
 * in tool observations. Namespaced so a reader of the Temporal UI knows which layer failed.
 * Every layer uses these values directly, with no per-layer copy beside them. The values are
 * recorded in workflow histories: never change one, add a new one instead.
 */
export const FailureType = {
  /** The provider throttled us; retryable, honouring its Retry-After. */
  ModelRateLimited: 'Model.RateLimited',
  /** The provider or network failed transiently (5xx, timeout, connection reset). */
  ModelUnavailable: 'Model.Unavailable',
  /** The provider rejected the request as malformed (4xx other than 408/409/429). */
  ModelBadRequest: 'Model.BadRequest',
  /** The provider rejected our credentials. */
  ModelAuthentication: 'Model.Authentication',
  /** The prompt does not fit the model's context window. */
  ModelContextTooLong: 'Model.ContextTooLong',
  /** The model named in a call is not in the catalog. */
  ModelUnknown: 'Model.Unknown',
  /** The model catalog a task read is inconsistent (e.g. a routing rule names a tier with no models). */
  ModelCatalogInvalid: 'Model.CatalogInvalid',
  /** The per-model circuit breaker is open in this worker. */
  ModelCircuitOpen: 'Model.CircuitOpen',
  /**
   * Every model of a call's tier (and of the tiers it may move to) kept failing or refusing
   * for longer than the catalog's `routing.whenTierUnavailable.maxWaitSeconds`.
   */
  ModelTierUnavailable: 'Model.TierUnavailable',
  /** A tool failed transiently; the engine retries it. */
  ToolTransient: 'Tool.Transient',
  /** A tool failed in a way retrying cannot fix. */
  ToolPermanent: 'Tool.Permanent',
  /** Arguments did not match the tool's schema. */
  ToolInvalidArguments: 'Tool.InvalidArguments',
  /** The tool's circuit breaker is open in this worker: it is not called for a cool-down. */
  ToolCircuitOpen: 'Tool.CircuitOpen',
  /** A person rejected the call (or did not decide before the approval timed out). */
  ToolRejected: 'Tool.Rejected',
  /** The model asked for a tool that is not registered. */
  ToolUnknown: 'Tool.Unknown',
  /**
   * A call with side effects may or may not have taken effect: the attempt that ran it
   * stopped before recording its outcome, and the tool can neither check it nor deduplicate
   * by idempotency key. Reported to the model (do not repeat it) and in the task result.
   */
  ToolOutcomeUnknown: 'Tool.OutcomeUnknown',
  /**
   * An attempt of a call with side effects ended with its outcome still open (an earlier
   * attempt held the claim, or this one stopped after it may have run the tool). Retryable:
   * the next attempt resolves it; when none is left the outcome is reported unknown.
   */
  ToolOutcomeOpen: 'Tool.OutcomeOpen',
  /**
   * Infrastructure Chassis itself depends on (MongoDB for the tool ledger and stored outputs)
   * stayed unavailable for the whole outage budget. Retryable; never shown to the model as a
   * tool failure.
   */
  InfraUnavailable: 'Infra.Unavailable',
  /** The workflow input was invalid. */
  TaskInvalidInput: 'Task.InvalidInput',
  /** The model's final answer was unusable (empty), also after any escalation; the task ends `failed`. */
  TaskNoUsableAnswer: 'Task.NoUsableAnswer',
  /** The model's tool calls were malformed or named unknown tools several steps in a row; the task ends `failed`. */
  TaskMalformedToolCalls: 'Task.MalformedToolCalls',
  /** MongoDB could not be reached or rejected a write. */
  MemoryUnavailable: 'Memory.Unavailable',
  /** A vector was made by another embedder (name or dimension) than the namespace's. */
  MemoryEmbedderMismatch: 'Memory.EmbedderMismatch',
  /** A memory input cannot be served as given (empty text, bad limits). */
  MemoryInvalidInput: 'Memory.InvalidInput',
  /** The small model answered something other than the JSON asked for. */
  MemoryModelOutputInvalid: 'Memory.ModelOutputInvalid',
} as const;

/** A value of {@link FailureType}. */
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
