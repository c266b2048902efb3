import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectTemporal, type TemporalSession } from '../../client/connection';
import { startTask } from '../../client/task-client';
import { loadConfig } from '../../config/load-config';
import type { PrivateServer } from '../private-servers';
import { seededRandom, startScriptedModelServer, type ScriptedModelServer } from '../scripted-model';
import { chaosGoal, chaosModelScript, RECORD_EFFECT_TOOL, type ChaosTask, type StormOptions } from './chaos-script';
import { effectServerConfig } from './effect-server-config';
import { readCallsFile, readEffectsFile, type CallRecord, type EffectRecord } from './effects-file';
import { modelRequestsInFlight, openToolCalls, toolCallsInFlight } from './in-flight';
import { accountTasks, type ChaosTaskOutcome, type ChaosTaskResult } from './outcomes';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import {
  labelsIn,
  recoverySamples,
  type RetryStart,
  type Downtime,
  type InterruptedCall,
  type KillEvent,
  type RecoverySample,
} from './recovery';
import { awaitTaskResult } from './task-waiter';
import { activitiesStartedOn, pollerIdentities, pollsBoth, startedElsewhereAfter } from './temporal-views';
import { CHAOS_DATABASE, chaosWorkerEnvironment } from './worker-environment';
import { WorkerProcess } from './worker-process';

/** Options of {@link ChaosRig.create}. */
export interface ChaosRigOptions {
  /** Scenario id: names the task queue, labels and folder. */
  scenario: string;
  /** The scenario's own folder: effects and calls files, worker logs. */
  folder: string;
  temporal: PrivateServer;
  mongo: PrivateServer;
  tasks: number;
  /** Worker processes polling the scenario's task queue. */
  workers: number;
  storm?: StormOptions;
  /** Seed of the storm draws and of the random kill choices. */
  seed: number;
  /** Delay of every scripted model reply. */
  modelLatencyMs: number;
  /** Time one `record_effect` takes. */
  effectDelayMs: number;
  /** The workers' `OPENAI_TIMEOUT_MS`: how long a hung model request lasts. */
  openaiTimeoutMs: number;
  /** Delay before a killed or crashed worker is started again, as a supervisor would. */
  restartDelayMs: number;
  log: (line: string) => void;
}

/** A task started by the rig and what became of it. */
interface TrackedTask extends ChaosTask {
  workflowId: string;
  result?: ChaosTaskResult;
  finishedAt?: number;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Everything the scenario measured, for the report. */
export interface RigMeasurements {
  outcomes: ChaosTaskOutcome[];
  recovery: RecoverySample[];
  modelRequests: number;
  embeddingRequests: number;
  faults: { workerKills: number; temporalKills: number; mongoOutages: number };
  unexpectedWorkerExits: number;
}

/**
 * One chaos scenario's moving parts on the suite's private servers: scripted model
 * servers (one per worker, so a pending request tells which worker holds it), worker
 * processes with the effect MCP server, the tasks, and the faults the scenario injects.
 */
export class ChaosRig {
  readonly taskQueue: string;
  readonly effectsFile: string;
  readonly callsFile: string;
  private readonly tasks: TrackedTask[];
  private readonly workers: WorkerProcess[];
  private readonly kills: KillEvent[] = [];
  /** Interrupted work started again by another worker, seen by {@link traceAfterKill}. */
  private readonly retries: RetryStart[] = [];
  /** Outages injected so far; one without `until` is still going on. */
  private readonly downtimes: { system: Downtime['system']; from: number; until?: number }[] = [];
  private readonly faultCounts = { workerKills: 0, temporalKills: 0, mongoOutages: 0 };
  private unexpectedExits = 0;
  private readonly random: () => number;
  private session: TemporalSession | undefined;
  private waiters: Promise<void>[] = [];
  private faultsEndedAt: number | undefined;
  private disposed = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly options: ChaosRigOptions,
    private readonly models: ScriptedModelServer[],
    workerEnvironments: Record<string, string>[],
    tasks: TrackedTask[],
  ) {
    this.taskQueue = workerEnvironments[0]?.CHASSIS_TASK_QUEUE ?? '';
    this.effectsFile = path.join(options.folder, 'effects.jsonl');
    this.callsFile = path.join(options.folder, 'calls.jsonl');
    this.tasks = tasks;
    this.random = seededRandom(options.seed + 7);
    this.workers = workerEnvironments.map(
      (environment, index) =>
        new WorkerProcess({
          name: `worker-${index + 1}`,
          environment,
          logFile: path.join(options.folder, 'logs', `worker-${index + 1}.log`),
          onUnexpectedExit: (description) => {
            this.unexpectedExits += 1;
            options.log(`${description}; starting it again`);
            this.restartLater(index);
          },
        }),
    );
  }

  /** Prepares files, model servers and worker environments; starts nothing else. */
  static async create(options: ChaosRigOptions): Promise<ChaosRig> {
    fs.mkdirSync(path.join(options.folder, 'logs'), { recursive: true });
    const suffix = Math.floor(seededRandom(options.seed)() * 0xffffff)
      .toString(16)
      .padStart(6, '0');
    const tasks: TrackedTask[] = Array.from({ length: options.tasks }, (_, index) => {
      const label = `${options.scenario}-${String(index + 1).padStart(2, '0')}-${suffix}`;
      return { scenario: options.scenario, label, workflowId: `chaos-${label}` };
    });
    const taskQueue = `chaos-${options.scenario}-${suffix}`;
    const modelLog = path.join(options.folder, 'logs', 'model-server.log');
    const models: ScriptedModelServer[] = [];
    try {
      for (let index = 0; index < options.workers; index += 1) {
        const script = chaosModelScript({
          tasks,
          latencyMs: options.modelLatencyMs,
          ...(options.storm === undefined ? {} : { storm: { ...options.storm, seed: options.seed + index } }),
        });
        models.push(
          await startScriptedModelServer({ script, log: (line) => fs.appendFileSync(modelLog, `${line}\n`) }),
        );
      }
    } catch (error) {
      await Promise.allSettled(models.map((model) => model.close()));
      throw error;
    }
    const mcpServer = effectServerConfig({
      effectsFile: path.join(options.folder, 'effects.jsonl'),
      callsFile: path.join(options.folder, 'calls.jsonl'),
      effectDelayMs: options.effectDelayMs,
    });
    const environments = models.map((model) =>
      chaosWorkerEnvironment({
        temporalAddress: options.temporal.address,
        mongoUri: options.mongo.address,
        taskQueue,
        modelBaseUrl: model.baseURL,
        openaiTimeoutMs: options.openaiTimeoutMs,
        mcpServers: [mcpServer],
        home: path.join(options.folder, 'home'),
      }),
    );
    return new ChaosRig(options, models, environments, tasks);
  }

  private get client(): Client {
    if (this.session === undefined) throw new Error('the chaos rig is not connected to Temporal');
    return this.session.client;
  }

  /** Connects the suite's own Temporal client (same codecs as the workers). */
  async connect(): Promise<void> {
    this.session = await connectTemporal(
      loadConfig({
        TEMPORAL_ADDRESS: this.options.temporal.address,
        MONGODB_URI: this.options.mongo.address,
        MONGODB_DB: CHAOS_DATABASE,
      }),
    );
  }

  /** Starts every worker process. */
  startWorkers(): void {
    for (const worker of this.workers) {
      const pid = worker.start();
      this.options.log(`${worker.name} started (pid ${pid})`);
    }
  }

  private restartLater(index: number): void {
    if (this.disposed) return;
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      const worker = this.workers[index];
      if (this.disposed || worker === undefined || worker.pid() !== undefined) return;
      const pid = worker.start();
      this.options.log(`${worker.name} started again (pid ${pid})`);
    }, this.options.restartDelayMs);
    this.restarts.add(timer);
  }

  /**
   * Waits until as many workers as the rig runs poll both task queues (workflows and model
   * calls). The queue is new, so every poller on it is one of the rig's workers.
   */
  async waitForWorkersPolling(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { workflows, models } = await pollerIdentities(this.client, this.taskQueue);
        const enough = (identities: string[]) => new Set(identities).size >= this.workers.length;
        if (enough(workflows) && enough(models)) return;
      } catch {
        // The server may be restarting; try again.
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `workers did not poll task queue ${this.taskQueue} within ${Math.round(timeoutMs / 1000)} s (logs in ${path.join(this.options.folder, 'logs')})`,
        );
      }
      await sleep(500);
    }
  }

  /**
   * Waits until every worker slot runs a process that polls both task queues under its own
   * identity, so the next kill does not land while the last one's replacement is still
   * starting. Gives up quietly after `timeoutMs`.
   */
  async waitForWorkersReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.allFinished() && !this.disposed) {
      try {
        const identities = await pollerIdentities(this.client, this.taskQueue);
        if (
          this.workers.every((worker) => {
            const pid = worker.pid();
            return pid !== undefined && pollsBoth(identities, pid);
          })
        ) {
          return;
        }
      } catch {
        // The server may be restarting; try again.
      }
      await sleep(500);
    }
  }

  /** Starts the tasks, `staggerMs` apart, and begins waiting for their results. */
  async startTasks(staggerMs: number): Promise<void> {
    for (const [index, task] of this.tasks.entries()) {
      if (index > 0) await sleep(staggerMs);
      await this.startOne(task);
      this.waiters.push(this.awaitResult(task));
    }
  }

  /** Starts one task, retrying while Temporal is unreachable (a scenario may be killing it). */
  private async startOne(task: TrackedTask): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await startTask(
          this.client,
          {
            goal: chaosGoal(task),
            planning: 'direct',
            tools: [RECORD_EFFECT_TOOL],
            maxSteps: 4,
            // Own session per task: recalled episodes never carry another task's label.
            sessionId: `chaos-${task.label}`,
            memoryNamespace: 'chaos',
          },
          { taskQueue: this.taskQueue, workflowId: task.workflowId },
        );
        return;
      } catch (error) {
        // An earlier attempt reached the server although its answer did not come back.
        if ((error as Error).name === 'WorkflowExecutionAlreadyStartedError') return;
        if (Date.now() >= deadline) throw error;
        await sleep(1_000);
      }
    }
  }

  /** Marks the end of the scenario's faults: from now on, tasks have `deadlineMs` to finish. */
  faultsEnded(): void {
    this.faultsEndedAt ??= Date.now();
  }

  /** True when every task has returned (or been declared stuck). */
  allFinished(): boolean {
    return this.tasks.every((task) => task.result !== undefined);
  }

  /** Waits until every task has finished or the deadline after the faults has passed. */
  async awaitTasks(deadlineMs: number): Promise<void> {
    this.deadlineMs = deadlineMs;
    await Promise.all(this.waiters);
  }

  private deadlineMs = Number.POSITIVE_INFINITY;

  private pastDeadline(): boolean {
    return this.faultsEndedAt !== undefined && Date.now() > this.faultsEndedAt + this.deadlineMs;
  }

  private async awaitResult(task: TrackedTask): Promise<void> {
    const result = await awaitTaskResult(this.client, task, () => this.disposed || this.pastDeadline());
    task.result = result;
    if (result.status !== 'stuck') task.finishedAt = Date.now();
    this.options.log(`task ${task.label}: ${result.status}${result.error === undefined ? '' : ` (${result.error})`}`);
  }

  private effects(): EffectRecord[] {
    return readEffectsFile(this.effectsFile);
  }

  private calls(): CallRecord[] {
    return readCallsFile(this.callsFile);
  }

  private unfinishedLabels(): string[] {
    return this.tasks.filter((task) => task.result === undefined).map((task) => task.label);
  }

  /** `record_effect` calls started by worker `pid`'s MCP server whose effect is not written yet. */
  private toolCallsInFlight(pid: number): string[] {
    return toolCallsInFlight(this.calls(), this.effects(), pid);
  }

  /** Labels named by model requests (chat only, or embeddings too) that worker `index`'s current process waits for. */
  private modelCallsInFlight(index: number, chatOnly = false): string[] {
    const model = this.models[index];
    const since = this.workers[index]?.startedAt();
    if (model === undefined || since === undefined) return [];
    return modelRequestsInFlight(model.allRequests, {
      since,
      now: Date.now(),
      clientTimeoutMs: this.options.openaiTimeoutMs,
      labels: this.tasks.map((task) => task.label),
      chatOnly,
    });
  }

  /** Temporal's view of what worker `pid` runs; empty when Temporal does not answer within 2 s (it may be down). */
  private async activitiesStartedOn(pid: number): Promise<InterruptedCall[]> {
    const unfinished = this.tasks.filter((task) => task.result === undefined);
    const described = activitiesStartedOn(this.client, unfinished, pid);
    described.catch(() => undefined);
    return Promise.race([described, sleep(2_000).then(() => [])]).catch(() => []);
  }

  /** What worker `index` is running now: the outside view (model servers, calls file) and Temporal's. */
  private async interruptedBy(index: number, pid: number): Promise<InterruptedCall[]> {
    const outside: InterruptedCall[] = [
      ...this.modelCallsInFlight(index).map((label) => ({ label, kind: 'model' as const })),
      ...this.toolCallsInFlight(pid).map((label) => ({ label, kind: 'tool' as const })),
    ];
    const engine = await this.activitiesStartedOn(pid);
    return [
      ...outside,
      ...engine.filter((call) => !outside.some((seen) => seen.label === call.label && seen.kind === call.kind)),
    ];
  }

  /** Kills worker `index` with SIGKILL, records what it interrupted, and starts it again after the restart delay. */
  async killWorker(index: number, reason: string): Promise<KillEvent | undefined> {
    const worker = this.workers[index];
    const pid = worker?.pid();
    if (worker === undefined || pid === undefined) return undefined;
    const interrupted = await this.interruptedBy(index, pid);
    const at = Date.now();
    await worker.kill();
    const event: KillEvent = { at, worker: worker.name, pid, reason, interrupted };
    this.kills.push(event);
    this.faultCounts.workerKills += 1;
    this.options.log(
      `killed ${worker.name} (pid ${pid}, ${reason}); interrupted: ${interrupted.map((call) => `${call.kind} ${call.label}`).join(', ') || 'nothing seen'}`,
    );
    this.restartLater(index);
    this.traceAfterKill(event);
    return event;
  }

  /**
   * Watches what Temporal shows of the interrupted tasks' pending activities every 250 ms
   * after a kill, until each task's work was started again by another worker process (a
   * {@link RetryStart}), the task finished, or 2 minutes passed. Every change is written to
   * `trace.jsonl` in the scenario folder: where a recovery's time goes.
   */
  private traceAfterKill(kill: KillEvent): void {
    const file = path.join(this.options.folder, 'trace.jsonl');
    const waiting = new Set(this.tasks.filter((task) => kill.interrupted.some((call) => call.label === task.label)));
    const seen = new Map<string, string>();
    const deadline = kill.at + 120_000;
    const sinceKill = (time: Parameters<typeof optionalTsToMs>[0]) => {
      const ms = optionalTsToMs(time);
      return ms === undefined ? undefined : ms - kill.at;
    };
    const poll = async (): Promise<void> => {
      while (Date.now() < deadline && !this.disposed && waiting.size > 0) {
        for (const task of [...waiting]) {
          if (task.finishedAt !== undefined) {
            waiting.delete(task);
            continue;
          }
          const description = await this.client.workflowService
            .describeWorkflowExecution({
              namespace: this.client.options.namespace,
              execution: { workflowId: task.workflowId },
            })
            .catch(() => undefined);
          const activities = description?.pendingActivities ?? [];
          const retry = startedElsewhereAfter(activities, kill.pid, kill.at);
          if (retry !== undefined) {
            this.retries.push({ label: task.label, killedPid: kill.pid, at: retry });
            waiting.delete(task);
          }
          const pending = activities.map((activity) => ({
            type: activity.activityType?.name,
            attempt: activity.attempt,
            state: activity.state,
            worker: activity.lastWorkerIdentity,
            started: sinceKill(activity.lastStartedTime),
            heartbeat: sinceKill(activity.lastHeartbeatTime),
            failure: activity.lastFailure?.message,
          }));
          const text = JSON.stringify(pending);
          if (seen.get(task.label) === text) continue;
          seen.set(task.label, text);
          fs.appendFileSync(
            file,
            `${JSON.stringify({ sinceKillMs: Date.now() - kill.at, label: task.label, pending })}\n`,
          );
        }
        await sleep(250);
      }
    };
    void poll().catch(() => undefined);
  }

  /** Polls `find` until it names a worker index, every task has finished, or `timeoutMs` passes. */
  private async waitForTarget(timeoutMs: number, find: () => number | undefined): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.allFinished() && !this.disposed) {
      const index = find();
      if (index !== undefined) return index;
      await sleep(25);
    }
    return undefined;
  }

  /** The index of the first running worker for which `holds` is true. */
  private workerWhere(holds: (index: number, pid: number) => boolean): number | undefined {
    const index = this.workers.findIndex((worker, candidate) => {
      const pid = worker.pid();
      return pid !== undefined && holds(candidate, pid);
    });
    return index < 0 ? undefined : index;
  }

  /**
   * Kills a worker while it runs a `record_effect` call (seen in the calls file, effect not
   * written yet); a random worker when none does within `timeoutMs`.
   */
  async killDuringToolCall(timeoutMs: number): Promise<KillEvent | undefined> {
    const index = await this.waitForTarget(timeoutMs, () =>
      this.workerWhere((_, pid) => this.toolCallsInFlight(pid).length > 0),
    );
    if (index === undefined) return this.killRandomWorker('random (no tool call in flight)');
    return this.killWorker(index, 'tool-call');
  }

  /**
   * Kills a worker while a chat request of an unfinished task waits at its model server;
   * a random worker when none does within `timeoutMs`.
   */
  async killDuringModelCall(timeoutMs: number): Promise<KillEvent | undefined> {
    const index = await this.waitForTarget(timeoutMs, () => {
      const unfinished = this.unfinishedLabels();
      return this.workerWhere((candidate) =>
        this.modelCallsInFlight(candidate, true).some((label) => unfinished.includes(label)),
      );
    });
    if (index === undefined) return this.killRandomWorker('random (no model call in flight)');
    return this.killWorker(index, 'model-call');
  }

  /** Kills a running worker chosen at random (seeded). */
  async killRandomWorker(reason = 'random'): Promise<KillEvent | undefined> {
    const running = this.workers.map((worker, index) => ({ worker, index })).filter(({ worker }) => worker.pid());
    const chosen = running[Math.floor(this.random() * running.length)];
    return chosen === undefined ? undefined : this.killWorker(chosen.index, reason);
  }

  /** A random number of milliseconds in [min, max) from the rig's seeded random. */
  randomDelay(minimumMs: number, maximumMs: number): number {
    return Math.floor(minimumMs + this.random() * (maximumMs - minimumMs));
  }

  /** Kills the Temporal server with SIGKILL and starts it again on the same data after `downMs`. */
  async killTemporal(downMs: number): Promise<void> {
    const downtime = { system: 'temporal' as const, from: Date.now(), until: undefined as number | undefined };
    this.downtimes.push(downtime);
    await this.options.temporal.kill();
    this.faultCounts.temporalKills += 1;
    this.options.log(`killed the Temporal server; restarting in ${Math.round(downMs / 1000)} s`);
    await sleep(downMs);
    await this.options.temporal.start();
    downtime.until = Date.now();
    this.options.log('Temporal server back');
  }

  /** Takes MongoDB (FerretDB) down for `downMs`, then starts it again on the same data. */
  async mongoOutage(downMs: number): Promise<void> {
    await this.stopMongo();
    await sleep(downMs);
    await this.startMongo();
  }

  /**
   * Takes MongoDB down at once. SIGKILL rather than a graceful stop: FerretDB's graceful
   * stop lets open requests finish for a few seconds, so the outage would miss the moment
   * the scenario aims at.
   */
  async stopMongo(): Promise<void> {
    this.downtimes.push({ system: 'mongodb', from: Date.now() });
    await this.options.mongo.kill();
    this.faultCounts.mongoOutages += 1;
    this.options.log('MongoDB down');
  }

  async startMongo(): Promise<void> {
    await this.options.mongo.start();
    for (const downtime of this.downtimes) if (downtime.system === 'mongodb') downtime.until ??= Date.now();
    this.options.log('MongoDB back');
  }

  /** Waits until a `record_effect` call runs on some worker (or `timeoutMs` passes). */
  async waitForToolCallInFlight(timeoutMs: number): Promise<boolean> {
    const index = await this.waitForTarget(timeoutMs, () =>
      this.workerWhere((_, pid) => this.toolCallsInFlight(pid).length > 0),
    );
    return index !== undefined;
  }

  /** Waits for effects of calls already started (a killed worker's MCP server finishing them). */
  async settleEffects(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && openToolCalls(this.calls(), this.effects()).length > 0) await sleep(200);
  }

  /** Accounts the tasks and the recovery times. */
  measure(): RigMeasurements {
    const labels = this.tasks.map((task) => task.label);
    const requests = this.models.flatMap((model) => model.allRequests);
    const results = this.tasks.map(
      (task) => task.result ?? { label: task.label, status: 'stuck' as const, unknownReported: 0 },
    );
    const outcomes = accountTasks({ results, effects: this.effects(), requests });
    const progress = [
      ...requests.flatMap((request) =>
        labelsIn(JSON.stringify(request.body), labels).map((label) => ({ label, at: Date.parse(request.receivedAt) })),
      ),
      ...this.calls().flatMap((call) =>
        labelsIn(JSON.stringify(call), labels).map((label) => ({ label, at: Date.parse(call.at) })),
      ),
    ];
    const finishedAt = new Map<string, number>();
    for (const task of this.tasks) if (task.finishedAt !== undefined) finishedAt.set(task.label, task.finishedAt);
    return {
      outcomes,
      recovery: recoverySamples({
        kills: this.kills,
        progress,
        finishedAt,
        observedUntil: Date.now(),
        downtimes: this.downtimes.map((downtime) => ({ ...downtime, until: downtime.until ?? Date.now() })),
        retries: this.retries,
      }),
      modelRequests: requests.filter((request) => request.path.endsWith('/chat/completions')).length,
      embeddingRequests: requests.filter((request) => request.path.endsWith('/embeddings')).length,
      faults: { ...this.faultCounts },
      unexpectedWorkerExits: this.unexpectedExits,
    };
  }

  /** Stops everything the rig started: tasks still running are terminated, workers and model servers end. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    if (this.session !== undefined) {
      await Promise.allSettled(
        this.tasks
          .filter((task) => task.result === undefined || task.result.status === 'stuck')
          .map((task) => this.client.workflow.getHandle(task.workflowId).terminate('chaos scenario over')),
      );
    }
    await Promise.allSettled(this.workers.map((worker) => worker.dispose()));
    await Promise.allSettled(this.models.map((model) => model.close()));
    await Promise.allSettled(this.waiters);
    await this.session?.close().catch(() => undefined);
    this.session = undefined;
  }
}
