import path from 'node:path';
import { ChaosRig } from '../../src/testing/chaos/chaos-rig';
import type { PrivateServer } from '../../src/testing/private-servers';
import { summarizeScenario, type ScenarioReport } from './report';
import type { ChaosPlan, ChaosScenario } from './scenarios';

/** Timings that are the same for every scenario. */
const TIMINGS = {
  /** Every scripted model reply takes this long, so kills land during model calls. */
  modelLatencyMs: 800,
  /** One `record_effect` takes this long, so kills land during tool calls. */
  effectDelayMs: 1_500,
  /** The workers' HTTP timeout to the provider: a storm's unanswered request ends after it. */
  openaiTimeoutMs: 10_000,
  /** A killed or crashed worker is started again after this, as a supervisor would. */
  restartDelayMs: 1_000,
  /** Tasks are started this far apart unless the scenario says otherwise. */
  taskStaggerMs: 1_000,
  /** Workers bundle the workflows at start: on a busy 2-core machine that takes a while. */
  workerStartTimeoutMs: 180_000,
  /** A killed worker's MCP server finishes the effect it was running: wait for it before counting. */
  effectSettleMs: 10_000,
};

/** What a scenario runs on and where it writes. */
export interface ScenarioEnvironment {
  temporal: PrivateServer;
  mongo: PrivateServer;
  /** The run's folder; the scenario gets a sub-folder. */
  folder: string;
  log: (line: string) => void;
  /** Called with the rig once it exists, so an interrupt can dispose of it. */
  onRig?: (rig: ChaosRig | undefined) => void;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one scenario: fresh model servers, workers and tasks on the run's servers; the
 * scenario's faults while the tasks run; then the accounting. Everything it started is
 * stopped before it returns, and both servers are left running for the next scenario.
 */
export async function runScenario(
  scenario: ChaosScenario,
  plan: ChaosPlan,
  environment: ScenarioEnvironment,
  index: number,
): Promise<ScenarioReport> {
  const started = Date.now();
  const log = (line: string) => environment.log(`[${scenario.id}] ${line}`);
  let rig: ChaosRig | undefined;
  let error: string | undefined;
  let measurements: ReturnType<ChaosRig['measure']> | undefined;
  try {
    await Promise.all([environment.temporal.start(), environment.mongo.start()]);
    rig = await ChaosRig.create({
      scenario: scenario.id,
      folder: path.join(environment.folder, scenario.id),
      temporal: environment.temporal,
      mongo: environment.mongo,
      tasks: plan.tasks,
      workers: plan.workers,
      ...(scenario.storm ? { storm: {} } : {}),
      seed: plan.seed + index * 101,
      modelLatencyMs: TIMINGS.modelLatencyMs,
      effectDelayMs: TIMINGS.effectDelayMs,
      openaiTimeoutMs: TIMINGS.openaiTimeoutMs,
      restartDelayMs: TIMINGS.restartDelayMs,
      log,
    });
    environment.onRig?.(rig);
    await rig.connect();
    if (scenario.mongoDownAtStart) await rig.stopMongo();
    rig.startWorkers();
    // With MongoDB down the workers may not come up at all; the tasks then wait in the queue.
    if (!scenario.mongoDownAtStart) await rig.waitForWorkersPolling(TIMINGS.workerStartTimeoutMs);
    log(`workers up; starting ${plan.tasks} tasks`);
    const activeRig = rig;
    const injecting = scenario.inject(activeRig, plan).finally(() => activeRig.faultsEnded());
    await rig.startTasks(scenario.taskStaggerMs ?? TIMINGS.taskStaggerMs);
    try {
      await injecting;
    } catch (faultError) {
      error = `a fault could not be injected: ${describeError(faultError)}`;
      log(error);
    }
    await rig.awaitTasks(plan.deadlineMs);
    await rig.settleEffects(TIMINGS.effectSettleMs);
    measurements = rig.measure();
  } catch (scenarioError) {
    error = describeError(scenarioError);
    log(`scenario failed: ${error}`);
    measurements = rig?.measure();
  } finally {
    await rig?.dispose();
    environment.onRig?.(undefined);
    // The next scenario starts from running servers, whatever this one left behind.
    await Promise.allSettled([environment.temporal.start(), environment.mongo.start()]);
  }
  return summarizeScenario({
    fault: scenario.id,
    outcomes: measurements?.outcomes ?? [],
    recovery: measurements?.recovery ?? [],
    modelRequests: measurements?.modelRequests ?? 0,
    embeddingRequests: measurements?.embeddingRequests ?? 0,
    faults: measurements?.faults ?? { workerKills: 0, temporalKills: 0, mongoOutages: 0 },
    unexpectedWorkerExits: measurements?.unexpectedWorkerExits ?? 0,
    durationMs: Date.now() - started,
    ...(error === undefined ? {} : { error }),
  });
}
