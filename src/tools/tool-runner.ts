import { performance } from 'node:perf_hooks';
import type { Db } from 'mongodb';
import { FailureType } from '../contracts/failure-types';
import type { ToolCallRequest } from '../contracts/messages';
import { toolHeartbeatTimeoutMs, type ToolPolicy, unknownOutcomeResult } from '../contracts/tools';
import {
  InfrastructureUnavailableError,
  unavailableSystemOf,
  type InfrastructureWait,
  isInfrastructureUnavailableError,
} from '../resilience/infrastructure-retry';
import type { FieldEncryption } from '../codec/field-encryption';
import { toolCacheKey } from './canonical-key';
import { UncountedFailure, type KeyedCircuitBreaker, isCircuitOpenError } from '../resilience/keyed-circuit-breaker';
import {
  ToolEffectLedger,
  whileDown,
  type LapsedClaimDecision,
  type LedgerWaits,
  type ToolEffectLedgerOptions,
} from './effect-ledger';
import { excerptOutput, MAX_STORED_OUTPUT_CHARS, TOOL_OUTPUT_READ_NAME, ToolOutputStore } from './output-store';
import { permanentObservation, type PreparedToolCall, type ToolRegistry } from './registry';
import { ToolResultCache } from './result-cache';
import {
  AbandonedToolError,
  ToolNotStartedError,
  ToolTimeoutError,
  isTransientToolError,
  isPermanentToolError,
  isToolTimeoutError,
  isAbandonedToolError,
  isToolNotStartedError,
} from './tool-errors';
import { createToolBreaker } from './tool-breaker';
import type { ToolRunResult } from './tool-result';
import type { OutcomeCheck, ToolContext } from './tool';

/** How long one call waits for MongoDB by default (`CHASSIS_OUTAGE_BUDGET_MS`). */
export const DEFAULT_OUTAGE_BUDGET_MS = 5 * 60_000;

/** What a {@link ToolRunner} needs; everything but the registry is optional. */
export interface ToolRunnerOptions {
  registry: ToolRegistry;
  /**
   * Where the result cache, long outputs and outcomes of side effects live. Without it tools
   * run uncached, long outputs are cut, and non-idempotent tools run without a ledger.
   */
  db?: Db;
  /** Per-tool breakers of this worker process. @default `createToolBreaker()` */
  breakers?: KeyedCircuitBreaker;
  /** Time source of the cache and ledger (tests move it forward). @default `() => new Date()` */
  now?: () => Date;
  /** Ledger tuning (tests shorten the lease). */
  ledger?: Omit<ToolEffectLedgerOptions, 'now' | 'fields'>;
  /** Encrypts cached results, long outputs and ledger outcomes at rest. @default plain */
  fields?: FieldEncryption;
  /**
   * How long one call waits for MongoDB (ledger, stored outputs) before it fails with
   * `Infra.Unavailable` for the engine to retry. @default 300_000
   */
  outageBudgetMs?: number;
  /**
   * How long a tool that ignores its abort signal may go on after its timeout or a
   * cancellation before the runner stops waiting for it. @default 2_000
   */
  abandonAfterMs?: number;
  /** Where degraded-mode warnings go (cache unreachable, waiting for MongoDB). @default `console.warn` */
  warn?: (message: string) => void;
}

/** Options of {@link ToolRunner.run}. */
export interface RunOptions {
  /**
   * Aborted only when the call is really to stop (its workflow cancelled it, the worker shuts
   * down), not when the engine merely gave up on this attempt (heartbeat or start-to-close
   * timeout) and started another. Calls with side effects then go on to finish and record
   * their outcome instead of stopping midway. @default the context's signal
   */
  cancelRequested?: AbortSignal;
  /** The call's previous round ended with its outcome open (see `ToolCallInput.resolvingOpenOutcome`). */
  resolvingOpenOutcome?: boolean;
}

/**
 * Runs one tool call the way the `callTool` activity does: validate → cache → breaker →
 * (ledger for side effects) → execute within the tool's timeout → store long output →
 * cache, heartbeating all along. Mistakes the model can fix come back as `ok: false`
 * observations; transient failures are thrown for the engine to retry; MongoDB outages are
 * waited out, and one that outlasts the budget is thrown as an
 * {@link InfrastructureUnavailableError}, never returned as an observation. Build one per
 * worker process: breaker state lives in it.
 */
export class ToolRunner {
  readonly registry: ToolRegistry;
  readonly breakers: KeyedCircuitBreaker;
  private readonly cache: ToolResultCache | undefined;
  private readonly outputs: ToolOutputStore | undefined;
  private readonly ledger: ToolEffectLedger | undefined;
  private readonly outageBudgetMs: number;
  private readonly abandonAfterMs: number;
  private readonly warn: (message: string) => void;

  constructor(options: ToolRunnerOptions) {
    this.registry = options.registry;
    this.breakers = options.breakers ?? createToolBreaker();
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.outageBudgetMs = options.outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS;
    this.abandonAfterMs = options.abandonAfterMs ?? 2_000;
    if (options.db !== undefined) {
      this.cache = new ToolResultCache(options.db, { now: options.now, fields: options.fields });
      this.outputs = new ToolOutputStore(options.db, options.fields);
      this.ledger = new ToolEffectLedger(options.db, { ...options.ledger, now: options.now, fields: options.fields });
    }
  }

  /** Creates the cache and ledger indexes now rather than on first use (worker start-up). */
  async ensureIndexes(): Promise<void> {
    await Promise.all([this.cache?.ensureIndexes(), this.ledger?.ensureIndexes()]);
  }

  /** Runs one call; see the class comment for what is returned and what is thrown. */
  async run(call: ToolCallRequest, context: ToolContext, options: RunOptions = {}): Promise<ToolRunResult> {
    const prepared = this.registry.prepare(call);
    if (!prepared.ok) return prepared.result;
    // Without a ledger no record says whether an earlier round's attempt ran it: running it
    // again could repeat the effect.
    if (options.resolvingOpenOutcome === true && !prepared.policy.idempotent && this.ledger === undefined) {
      return unknownOutcomeObservation(call);
    }
    // Every call heartbeats, short or long, so a dead worker is noticed within the heartbeat timeout.
    const stopHeartbeats = startHeartbeats(toolHeartbeatTimeoutMs(prepared.policy), context);
    // A side effect whose attempt the engine gave up on finishes and records its outcome (the
    // next attempt waits for it); stopping it midway would leave its outcome unknown.
    const recorded = !prepared.policy.idempotent && this.ledger !== undefined;
    const callContext =
      recorded && options.cancelRequested !== undefined ? { ...context, signal: options.cancelRequested } : context;
    try {
      return await this.runPrepared(prepared, callContext);
    } finally {
      stopHeartbeats();
    }
  }

  private async runPrepared(prepared: PreparedToolCall, context: ToolContext): Promise<ToolRunResult> {
    const { call, tool, policy, args } = prepared;
    const waits = this.waitsFor(context);

    const cacheKey =
      policy.cacheTtlSeconds !== undefined && this.cache !== undefined
        ? toolCacheKey(tool.name, policy.version, args)
        : undefined;
    if (cacheKey !== undefined) {
      const hit = await this.readCache(cacheKey);
      if (hit !== undefined) {
        return {
          callId: call.id,
          name: call.name,
          ok: true,
          output: hit.output,
          ...(hit.outputRef !== undefined ? { outputRef: hit.outputRef } : {}),
          cached: true,
          savedMs: hit.executionMs,
        };
      }
    }

    const circuitKey = tool.circuitKey?.(args) ?? tool.name;
    const retryInMs = this.breakers.retryInMs(circuitKey);
    if (retryInMs !== undefined) return circuitOpenObservation(call, circuitKey, retryInMs);

    let executionMs: number | undefined;
    const execute = async (afterEffect: boolean) => {
      const executed = await this.executeThroughBreaker(prepared, circuitKey, context, waits, afterEffect);
      executionMs = executed.executionMs;
      return executed.result;
    };
    let result: ToolRunResult;
    try {
      if (!policy.idempotent && this.ledger !== undefined) {
        const outcome = await this.ledger.once(
          { idempotencyKey: context.idempotencyKey, tool: tool.name, args },
          {
            run: () => execute(true),
            resolveLapsed: () => this.resolveLapsed(prepared, context, waits),
            isUncertain: (error) =>
              !isToolNotStartedError(error) &&
              (context.signal.aborted ||
                isToolTimeoutError(error) ||
                isAbandonedToolError(error) ||
                unavailableSystemOf(error) !== undefined),
          },
          this.ledgerWaits(policy, waits, this.ledger.leaseMs),
        );
        result = outcome.result;
      } else if (policy.idempotent) {
        // Safe to repeat: a tool that failed because MongoDB is down runs again once it is back.
        result = await whileDown(waits, `running ${tool.name}`, () => execute(false));
      } else {
        result = await execute(true);
      }
    } catch (error) {
      // Converted here, outside the ledger, so a call that never ran leaves no recorded outcome.
      if (isCircuitOpenError(error)) return circuitOpenObservation(call, circuitKey, error.retryInMs);
      const system = unavailableSystemOf(error);
      if (system !== undefined) {
        throw new InfrastructureUnavailableError(system, 0, `running ${tool.name}`, error as Error);
      }
      throw error;
    }

    if (cacheKey !== undefined && result.ok && executionMs !== undefined) {
      await this.writeCache({
        key: cacheKey,
        tool: tool.name,
        version: policy.version,
        output: result.output,
        outputRef: result.outputRef,
        executionMs,
        ttlSeconds: policy.cacheTtlSeconds as number,
      });
    }
    return result;
  }

  /**
   * The ledger's terms for one call. The lease is the activity's heartbeat timeout: the engine
   * starts the next attempt only after that long without a heartbeat, so a longer lease only
   * makes that attempt wait for a claim whose owner is gone (a worker kill cost 10 s of lease).
   * An earlier attempt still running ends within the tool's timeout, renewing its lease till
   * then, so that is how long a live claim is waited for.
   */
  private ledgerWaits(policy: ToolPolicy, waits: LedgerWaits, ledgerLeaseMs: number): LedgerWaits {
    const leaseMs = Math.min(ledgerLeaseMs, toolHeartbeatTimeoutMs(policy));
    return { ...waits, leaseMs, liveClaimWaitMs: policy.timeoutMs + 2 * leaseMs };
  }

  /**
   * A claim left `running` by an attempt that stopped: look at what happened rather than
   * re-run blindly. The tool's own check decides when it has one; a target that
   * deduplicates by idempotency key makes a re-run safe; otherwise the outcome is unknown.
   */
  private async resolveLapsed(
    prepared: PreparedToolCall,
    context: ToolContext,
    waits: LedgerWaits,
  ): Promise<LapsedClaimDecision<ToolRunResult>> {
    const { call, tool, policy, args } = prepared;
    if (tool.checkOutcome !== undefined) {
      const checkOutcome = tool.checkOutcome.bind(tool);
      let checked: OutcomeCheck;
      try {
        checked = await this.withinTimeout(
          policy.timeoutMs,
          context,
          (toolContext) => checkOutcome(args, toolContext),
          `the outcome check of ${tool.name}`,
        );
      } catch (error) {
        // The checker may answer on the next attempt; the claim stays for it.
        if (isTransientToolError(error) || context.signal.aborted || unavailableSystemOf(error) !== undefined)
          throw error;
        this.warn(`the outcome check of ${tool.name} failed (${(error as Error).message}); its outcome is not known`);
        checked = undefined;
      }
      if (checked?.applied === true && typeof checked.output === 'string') {
        const bounded = await this.boundOutput(checked.output, policy.maxOutputChars, tool.name, waits, true, context);
        return {
          action: 'record',
          state: 'done',
          resolution: 'checked-applied',
          result: { callId: call.id, name: call.name, ok: true, ...bounded },
        };
      }
      if (checked?.applied === false) return { action: 'run', resolution: 'checked-not-applied' };
    }
    if (policy.acceptsIdempotencyKey === true) return { action: 'run', resolution: 're-ran' };
    return { action: 'record', state: 'unknown', resolution: 'unknown', result: unknownOutcomeObservation(call) };
  }

  /**
   * Executes through the breaker within the tool's timeout and bounds the output;
   * `executionMs` is set when the tool ran and succeeded. `afterEffect`: the call has side
   * effects, so once it ran nothing may throw (a failed output store cuts the output instead).
   */
  private async executeThroughBreaker(
    prepared: PreparedToolCall,
    circuitKey: string,
    context: ToolContext,
    waits: LedgerWaits,
    afterEffect: boolean,
  ): Promise<{ result: ToolRunResult; executionMs?: number }> {
    const { call, tool, args, policy } = prepared;
    const started = performance.now();
    let output: string;
    try {
      output = await this.breakers.execute(circuitKey, async () => {
        try {
          return await this.withinTimeout(
            policy.timeoutMs,
            context,
            (toolContext) => tool.execute(args, toolContext),
            tool.name,
          );
        } catch (error) {
          // A cancelled call, or a database outage inside the tool, says nothing about the tool's health.
          if (context.signal.aborted && !isPermanentToolError(error)) throw new UncountedFailure(error);
          if (unavailableSystemOf(error) !== undefined) throw new UncountedFailure(error);
          throw error;
        }
      });
    } catch (error) {
      if (isPermanentToolError(error)) return { result: permanentObservation(call, error) };
      throw error;
    }
    const executionMs = Math.round((performance.now() - started) * 10) / 10;
    const bounded = await this.boundOutput(output, policy.maxOutputChars, tool.name, waits, afterEffect, context);
    return { result: { callId: call.id, name: call.name, ok: true, ...bounded }, executionMs };
  }

  /**
   * Runs `run` with a signal that also fires after `timeoutMs`. A tool that does not stop
   * within `abandonAfterMs` of its signal firing is no longer waited for.
   *
   * @throws {ToolTimeoutError} when the timeout fired and the tool then failed or did not stop
   */
  private async withinTimeout<T>(
    timeoutMs: number,
    context: ToolContext,
    run: (context: ToolContext) => Promise<T>,
    what: string,
  ): Promise<T> {
    // Told to stop before it started (cancelled while waiting for a claim or for MongoDB): do not start.
    if (context.signal.aborted) throw new ToolNotStartedError(`${what} was not started: the call was cancelled`);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = AbortSignal.any([context.signal, timeout.signal]);
    try {
      return await settleOrAbandon(run({ ...context, signal }), signal, this.abandonAfterMs, what);
    } catch (error) {
      if (timeout.signal.aborted && !context.signal.aborted && !isPermanentToolError(error)) {
        throw new ToolTimeoutError(`${what} did not finish within ${timeoutMs} ms (${(error as Error).message})`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Long outputs go to MongoDB; the model gets an excerpt and the reference. The store waits
   * out an outage (a cut output would lose data); after a side effect, an outage past the
   * budget cuts the output instead of failing a call that already took effect.
   */
  private async boundOutput(
    output: string,
    maxChars: number,
    tool: string,
    waits: LedgerWaits,
    afterEffect: boolean,
    context: ToolContext,
  ): Promise<{ output: string; outputRef?: string }> {
    if (output.length <= maxChars) return { output };
    const stored = output.length > MAX_STORED_OUTPUT_CHARS ? output.slice(0, MAX_STORED_OUTPUT_CHARS) : output;
    const outputs = this.outputs;
    let reference: string | undefined;
    let unstoredReason: string | undefined;
    if (outputs !== undefined) {
      try {
        reference = await whileDown(waits, `storing the long output of ${tool}`, () =>
          outputs.put(stored, tool, context.workflowId),
        );
      } catch (error) {
        if (!afterEffect || !isInfrastructureUnavailableError(error)) throw error;
        this.warn(`the long output of ${tool} was cut: ${error.message}`);
        unstoredReason = `${error.system} was unavailable`;
      }
    }
    const reader =
      reference !== undefined && this.registry.has(TOOL_OUTPUT_READ_NAME) ? TOOL_OUTPUT_READ_NAME : undefined;
    const excerpt = excerptOutput(output, maxChars, reference, reader, unstoredReason);
    return reference === undefined ? { output: excerpt.text } : { output: excerpt.text, outputRef: reference };
  }

  /** How this call waits for MongoDB: one budget for the whole call, heartbeating, warning once per wait. */
  private waitsFor(context: ToolContext): LedgerWaits {
    const deadline = Date.now() + this.outageBudgetMs;
    return {
      budgetMs: this.outageBudgetMs,
      remainingBudgetMs: () => deadline - Date.now(),
      heartbeat: (details) => context.heartbeat(details),
      signal: context.signal,
      onWait: (wait: InfrastructureWait) => {
        if (wait.attempt !== 1) return;
        this.warn(
          `${wait.system} is unavailable while ${wait.operation} (${wait.error.message}); waiting for it up to ${Math.round(Math.max(0, deadline - Date.now()) / 1000)} s`,
        );
      },
      warn: this.warn,
    };
  }

  /** A cache that cannot be read is a miss, not a failed call (memory is degradable). */
  private async readCache(key: string) {
    try {
      return await this.cache?.get(key);
    } catch (error) {
      this.warn(`tool result cache unavailable, running the tool instead: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async writeCache(entry: Parameters<ToolResultCache['put']>[0]): Promise<void> {
    try {
      await this.cache?.put(entry);
    } catch (error) {
      this.warn(`tool result not cached: ${(error as Error).message}`);
    }
  }
}

function circuitOpenObservation(call: ToolCallRequest, circuitKey: string, retryInMs: number): ToolRunResult {
  const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
  const what =
    circuitKey === call.name ? `tool ${call.name}` : `tool ${call.name} (${circuitKey.slice(call.name.length + 1)})`;
  return {
    callId: call.id,
    name: call.name,
    ok: false,
    error: {
      type: FailureType.ToolCircuitOpen,
      message: `${what} is unavailable for ${seconds} s after repeated failures; use another approach`,
    },
  };
}

/** What the model is told about a call whose outcome nobody can know. */
export function unknownOutcomeObservation(call: ToolCallRequest): ToolRunResult {
  return unknownOutcomeResult(call, 'the attempt that ran it stopped before its outcome was recorded');
}

/**
 * Waits for `running`; once `signal` fires, waits at most `graceMs` more for it to stop
 * (most tools honour the signal and end at once), then gives up on it. The abandoned
 * promise's later rejection is swallowed.
 */
function settleOrAbandon<T>(running: Promise<T>, signal: AbortSignal, graceMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => {
      grace = setTimeout(
        () => reject(new AbandonedToolError(`${what} did not stop within ${graceMs} ms of being told to`)),
        graceMs,
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', onAbort);
      if (grace !== undefined) clearTimeout(grace);
    };
    running.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error as Error);
      },
    );
  });
}

/** Heartbeats on a timer, a third of the heartbeat timeout apart, so a dead worker is noticed within it. */
function startHeartbeats(heartbeatTimeoutMs: number, context: ToolContext): () => void {
  const timer = setInterval(() => context.heartbeat(), Math.max(100, Math.floor(heartbeatTimeoutMs / 3)));
  return () => clearInterval(timer);
}
