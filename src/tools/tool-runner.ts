import { performance } from 'node:perf_hooks';
import type { Db } from 'mongodb';
import type { ToolCallRequest } from '../contracts/messages';
import { toolCacheKey } from './canonical-key';
import { CircuitOpenError, UncountedFailure, type KeyedCircuitBreaker } from '../resilience/keyed-circuit-breaker';
import { ToolEffectLedger, type ToolEffectLedgerOptions } from './effect-ledger';
import { excerptOutput, MAX_STORED_OUTPUT_CHARS, TOOL_OUTPUT_READ_NAME, ToolOutputStore } from './output-store';
import { permanentObservation, type PreparedToolCall, type ToolRegistry } from './registry';
import { ToolResultCache } from './result-cache';
import { PermanentToolError } from './tool-errors';
import { createToolBreaker } from './tool-breaker';
import { ToolFailureType, type ToolRunResult } from './tool-result';
import type { ToolContext } from './tool';

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
  ledger?: Omit<ToolEffectLedgerOptions, 'now'>;
  /** Where degraded-mode warnings go (cache unreachable, index not created). @default `console.warn` */
  warn?: (message: string) => void;
}

/**
 * Runs one tool call the way the `callTool` activity does: validate → cache → breaker →
 * (ledger for side effects) → execute → store long output → cache. Mistakes the model can
 * fix come back as `ok: false` observations; transient failures are thrown for the engine
 * to retry. Build one per worker process: breaker state lives in it.
 */
export class ToolRunner {
  readonly registry: ToolRegistry;
  readonly breakers: KeyedCircuitBreaker;
  private readonly cache: ToolResultCache | undefined;
  private readonly outputs: ToolOutputStore | undefined;
  private readonly ledger: ToolEffectLedger | undefined;
  private readonly warn: (message: string) => void;

  constructor(options: ToolRunnerOptions) {
    this.registry = options.registry;
    this.breakers = options.breakers ?? createToolBreaker();
    this.warn = options.warn ?? ((message) => console.warn(message));
    if (options.db !== undefined) {
      this.cache = new ToolResultCache(options.db, { now: options.now });
      this.outputs = new ToolOutputStore(options.db);
      this.ledger = new ToolEffectLedger(options.db, { ...options.ledger, now: options.now });
    }
  }

  /** Creates the cache and ledger indexes now rather than on first use (worker start-up). */
  async ensureIndexes(): Promise<void> {
    await Promise.all([this.cache?.ensureIndexes(), this.ledger?.ensureIndexes()]);
  }

  /** Runs one call; see the class comment for what is returned and what is thrown. */
  async run(call: ToolCallRequest, context: ToolContext): Promise<ToolRunResult> {
    const prepared = this.registry.prepare(call);
    if (!prepared.ok) return prepared.result;
    const { tool, policy, args } = prepared;

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
    const execute = async () => {
      const executed = await this.executeThroughBreaker(prepared, circuitKey, context);
      executionMs = executed.executionMs;
      return executed.result;
    };
    let result: ToolRunResult;
    try {
      result =
        !policy.idempotent && this.ledger !== undefined
          ? (await this.ledger.once({ idempotencyKey: context.idempotencyKey, tool: tool.name, args }, execute)).result
          : await execute();
    } catch (error) {
      // Converted here, outside the ledger, so a call that never ran leaves no recorded outcome.
      if (error instanceof CircuitOpenError) return circuitOpenObservation(call, circuitKey, error.retryInMs);
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

  /** Executes through the breaker and bounds the output; `executionMs` is set when the tool ran and succeeded. */
  private async executeThroughBreaker(
    prepared: PreparedToolCall,
    circuitKey: string,
    context: ToolContext,
  ): Promise<{ result: ToolRunResult; executionMs?: number }> {
    const { call, tool, args, policy } = prepared;
    const started = performance.now();
    let output: string;
    try {
      output = await this.breakers.execute(circuitKey, async () => {
        const stopHeartbeats = startHeartbeats(policy.heartbeatTimeoutMs, context);
        try {
          return await tool.execute(args, context);
        } catch (error) {
          // A cancelled call says nothing about the tool's health.
          if (context.signal.aborted && !(error instanceof PermanentToolError)) throw new UncountedFailure(error);
          throw error;
        } finally {
          stopHeartbeats();
        }
      });
    } catch (error) {
      if (error instanceof PermanentToolError) return { result: permanentObservation(call, error) };
      throw error;
    }
    const executionMs = Math.round((performance.now() - started) * 10) / 10;
    const bounded = await this.boundOutput(output, policy.maxOutputChars, tool.name);
    return { result: { callId: call.id, name: call.name, ok: true, ...bounded }, executionMs };
  }

  /** Long outputs go to MongoDB; the model gets an excerpt and the reference. */
  private async boundOutput(
    output: string,
    maxChars: number,
    tool: string,
  ): Promise<{ output: string; outputRef?: string }> {
    if (output.length <= maxChars) return { output };
    const stored = output.length > MAX_STORED_OUTPUT_CHARS ? output.slice(0, MAX_STORED_OUTPUT_CHARS) : output;
    // A failed store is thrown (and retried by the engine): cutting silently would lose data.
    const reference = this.outputs === undefined ? undefined : await this.outputs.put(stored, tool);
    const reader =
      reference !== undefined && this.registry.has(TOOL_OUTPUT_READ_NAME) ? TOOL_OUTPUT_READ_NAME : undefined;
    const excerpt = excerptOutput(output, maxChars, reference, reader);
    return reference === undefined ? { output: excerpt.text } : { output: excerpt.text, outputRef: reference };
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
      type: ToolFailureType.CircuitOpen,
      message: `${what} is unavailable for ${seconds} s after repeated failures; use another approach`,
    },
  };
}

/** Heartbeats a long tool on a timer, so a dead worker is noticed within the heartbeat timeout. */
function startHeartbeats(heartbeatTimeoutMs: number | undefined, context: ToolContext): () => void {
  if (heartbeatTimeoutMs === undefined) return () => undefined;
  const timer = setInterval(() => context.heartbeat(), Math.max(100, Math.floor(heartbeatTimeoutMs / 3)));
  return () => clearInterval(timer);
}
