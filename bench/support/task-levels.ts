import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ChassisConfig } from '../../src/config/load-config';
import type { AgentTaskInput, AgentTaskResult } from '../../src/contracts/agent-task';
import type { WorkerProcess } from '../../src/testing/chaos/worker-process';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { countingAnswer, countingGoal, FACTS_RULE } from './counting-task';
import { peakConcurrency } from './intervals';
import { watchResidentMemory } from './process-memory';
import { summarizeSamples, type SampleSummary } from './results';
import { progress } from './runner';

/*
 * Closed-loop levels of agent tasks against a real `chassis worker` process: what the
 * `throughput` and `tuning` benchmarks share.
 */

/** Client-side concurrency of starting sessions and terminating them. */
export const CLIENT_PARALLELISM = 50;

/** Whole numbers from a comma-separated environment variable, or `fallback` when it is unset. */
export function numbersFrom(variable: string, fallback: number[], minimum = 1): number[] {
  const value = process.env[variable];
  if (value === undefined || value.trim() === '') return fallback;
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.some((number) => !Number.isInteger(number) || number < minimum)) {
    throw new Error(`${variable} must be integers of at least ${minimum} separated by commas, got "${value}"`);
  }
  return numbers;
}

/** One concurrency level. */
export interface ThroughputLevel {
  concurrency: number;
  tasks: number;
  completed: number;
  errors: number;
  /** First error messages, for the report. */
  errorSamples: string[];
  wallMs: number;
  tasksPerMinute: number;
  /** Server-side task latency (start → close). */
  latency: SampleSummary;
  /** Most chat requests the model server had open at once. */
  peakModelCalls: number;
  workerPeakBytes?: number;
  workerEndBytes?: number;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** What a level needs: the client, the worker's task queue and process, the scripted model. */
export interface Context {
  client: Client;
  taskQueue: string;
  model: string;
  server: ScriptedModelServer;
  worker: WorkerProcess;
  /** The scripted latency of every model call. */
  modelLatencyMs: number;
}

export function taskInput(context: Context, rounds: number): AgentTaskInput {
  // As `chassis run --direct`: memory on, no planner (the plan would be one more model call).
  return {
    goal: countingGoal(rounds),
    model: context.model,
    tools: ['calculator'],
    maxSteps: rounds + 1,
    planning: 'direct',
  };
}

export async function startTask(context: Context, prefix: string, rounds: number): Promise<WorkflowHandle> {
  return context.client.workflow.start('agentTaskWorkflow', {
    taskQueue: context.taskQueue,
    workflowId: `${prefix}-${randomUUID()}`,
    args: [taskInput(context, rounds)],
    // A stuck task fails the level instead of hanging the benchmark.
    workflowExecutionTimeout: '10 minutes',
  });
}

/** A failure as one line: its name, message and its cause's message. */
export function describeError(error: unknown): string {
  const failure = error as Error;
  const cause = failure.cause as Error | undefined;
  return `${failure.name}: ${failure.message}${cause?.message ? ` (${cause.message})` : ''}`;
}

/** At most `limit` calls at once; the others wait their turn. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Waits for a task; its error message when it did not complete with the expected answer. */
export async function outcomeOf(handle: WorkflowHandle, rounds: number): Promise<string | undefined> {
  try {
    const result = (await handle.result()) as AgentTaskResult;
    if (result.status !== 'completed') return `${result.status}: ${result.answer}`;
    if (result.answer !== countingAnswer(rounds)) return `wrong answer: ${result.answer}`;
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

/** Server-side start and close times of finished workflows, read with bounded parallelism. */
export async function serverTimes(handles: WorkflowHandle[]): Promise<{ startMs: number; endMs: number }[]> {
  const times: { startMs: number; endMs: number }[] = [];
  await inParallel(handles, CLIENT_PARALLELISM, async (handle) => {
    const description = await handle.describe();
    if (description.closeTime !== undefined) {
      times.push({ startMs: description.startTime.getTime(), endMs: description.closeTime.getTime() });
    }
  });
  return times;
}

/** Most chat requests of the task itself open at once since `from` (each open for the scripted latency). */
export function peakModelCalls(server: ScriptedModelServer, from: number, latencyMs: number): number {
  const intervals = server.requests
    .slice(from)
    .filter((request) => request.path.endsWith('/chat/completions') && request.ruleName !== FACTS_RULE)
    .map((request) => {
      const startMs = Date.parse(request.receivedAt);
      return { startMs, endMs: startMs + latencyMs };
    });
  return peakConcurrency(intervals);
}

/** Keeps `concurrency` one-round tasks in flight until `tasks` are done (by default twice the concurrency, at least 20). */
export async function measureLevel(
  context: Context,
  concurrency: number,
  tasks = concurrency >= 1000 ? concurrency : Math.max(2 * concurrency, 20),
): Promise<ThroughputLevel> {
  progress(`concurrency ${concurrency}: ${tasks} tasks…`);
  const requestsBefore = context.server.requests.length;
  const finishMemory = watchResidentMemory(() => context.worker.pid());
  const handles: WorkflowHandle[] = [];
  const errors: string[] = [];
  let started = 0;
  const startedAt = performance.now();
  const starts = new Semaphore(CLIENT_PARALLELISM);
  const lanes = Array.from({ length: concurrency }, async () => {
    while (started < tasks) {
      started++;
      // A client starts at most CLIENT_PARALLELISM at once, as a real one would pace a burst.
      let handle: WorkflowHandle;
      try {
        handle = await starts.run(() => startTask(context, `bench-throughput-c${concurrency}`, 1));
      } catch (error) {
        errors.push(`start failed: ${describeError(error)}`);
        continue;
      }
      handles.push(handle);
      const error = await outcomeOf(handle, 1);
      if (error !== undefined) errors.push(error);
    }
  });
  await Promise.all(lanes);
  const wallMs = performance.now() - startedAt;
  const memory = finishMemory();
  const times = await serverTimes(handles);
  return {
    concurrency,
    tasks,
    completed: tasks - errors.length,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 3),
    wallMs: Math.round(wallMs),
    tasksPerMinute: Math.round(((tasks - errors.length) / wallMs) * 60_000 * 10) / 10,
    latency: summarizeSamples(times.map((time) => time.endMs - time.startMs)),
    peakModelCalls: peakModelCalls(context.server, requestsBefore, context.modelLatencyMs),
    workerPeakBytes: memory.peakBytes,
    workerEndBytes: memory.lastBytes,
  };
}

/** The worker's whole environment: the bench's servers, its scripted model, a throw-away database. */
export function workerEnvironment(
  config: ChassisConfig,
  options: { taskQueue: string; modelUrl: string; database: string; home: string },
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? options.home,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    MONGODB_URI: config.mongo.uri,
    MONGODB_DB: options.database,
    CHASSIS_TASK_QUEUE: options.taskQueue,
    CHASSIS_HOME: options.home,
    OPENAI_BASE_URL: options.modelUrl,
    CHASSIS_EMBEDDER: 'hashed-ngram',
    // A catalog of your own (e.g. other model-call limits) reaches the worker too.
    ...(process.env.CHASSIS_MODEL_CATALOG ? { CHASSIS_MODEL_CATALOG: process.env.CHASSIS_MODEL_CATALOG } : {}),
  };
}
