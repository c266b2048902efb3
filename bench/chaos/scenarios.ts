import type { ChaosRig } from '../../src/testing/chaos/chaos-rig';

/** The sizes of a run: `--short` for CI, full otherwise. */
export interface ChaosPlan {
  short: boolean;
  /** Tasks per scenario. */
  tasks: number;
  /** Worker processes per scenario. */
  workers: number;
  /** Worker kills in the `worker-kill` scenario (the first during a tool call, the second during a model call). */
  workerKills: number;
  /** How long MongoDB stays down. */
  mongoDownMs: number;
  /** How long the Temporal server stays down after its kill. */
  temporalDownMs: number;
  /** A task not finished this long after the scenario's last fault counts as stuck. */
  deadlineMs: number;
  /** Base seed of the storms and random kills. */
  seed: number;
}

/** One chaos scenario: which faults, injected while its tasks run. */
export interface ChaosScenario {
  /** The `fault` of its JSON row. */
  id: string;
  /** What it does, for `--list` and the docs. */
  description: string;
  /** The model servers answer with a fault storm. */
  storm?: boolean;
  /** MongoDB is stopped before the workers start. */
  mongoDownAtStart?: boolean;
  /**
   * Time between task starts: spreads the tasks over the scenario's faults, so each fault
   * meets tasks at work. @default 1 s
   */
  taskStaggerMs?: number;
  /** Injects the faults; resolves when the last one has ended. */
  inject(rig: ChaosRig, plan: ChaosPlan): Promise<void>;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Up to 30 s for a target (a tool call or model call in flight) to show up. */
const TARGET_WAIT_MS = 30_000;

/** Up to 2 minutes for the workers killed so far to be back before the next kill. */
const WORKERS_BACK_WAIT_MS = 120_000;

async function workerKills(rig: ChaosRig, count: number): Promise<void> {
  for (let kill = 0; kill < count; kill += 1) {
    if (rig.allFinished()) return;
    if (kill > 0) {
      // A kill while the last one's replacement still starts would measure start-up, not recovery.
      await rig.waitForWorkersReady(WORKERS_BACK_WAIT_MS);
      await sleep(rig.randomDelay(1_000, 4_000));
    }
    if (kill === 0) await rig.killDuringToolCall(TARGET_WAIT_MS);
    else if (kill === 1) await rig.killDuringModelCall(TARGET_WAIT_MS);
    else await rig.killRandomWorker();
  }
}

async function mongoOutageDuringToolCall(rig: ChaosRig, plan: ChaosPlan): Promise<void> {
  await rig.waitForToolCallInFlight(TARGET_WAIT_MS);
  await rig.mongoOutage(plan.mongoDownMs);
}

async function temporalKillDuringWork(rig: ChaosRig, plan: ChaosPlan, delayMs = 0): Promise<void> {
  await sleep(delayMs);
  await rig.waitForToolCallInFlight(TARGET_WAIT_MS);
  await rig.killTemporal(plan.temporalDownMs);
}

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly ChaosScenario[] = [
  {
    id: 'baseline',
    description: 'No fault: the reference for requests and time.',
    inject: async () => undefined,
  },
  {
    id: 'worker-kill',
    description:
      'Worker processes are killed with SIGKILL and started again 1 s later: the first kill lands while a worker runs the side-effecting tool call, the second while it waits for a model answer, the rest at random moments; each kill waits until the workers killed before are back.',
    // Kills are spread out (each waits for the workers to be back): so are the tasks.
    taskStaggerMs: 8_000,
    inject: (rig, plan) => workerKills(rig, plan.workerKills),
  },
  {
    id: 'temporal-kill',
    description:
      'The Temporal server is killed with SIGKILL while a side-effecting tool call runs, and started again on the same data a few seconds later.',
    inject: (rig, plan) => temporalKillDuringWork(rig, plan),
  },
  {
    id: 'mongo-outage',
    description:
      'MongoDB (FerretDB) is killed while a side-effecting tool call runs, and started again on the same data 20 s later.',
    taskStaggerMs: 2_000,
    inject: mongoOutageDuringToolCall,
  },
  {
    id: 'mongo-down-at-start',
    description:
      'MongoDB is down when the workers start; the tasks are started at once and MongoDB comes back 20 s after it stopped.',
    mongoDownAtStart: true,
    inject: async (rig, plan) => {
      await sleep(plan.mongoDownMs);
      await rig.startMongo();
    },
  },
  {
    id: 'model-storm',
    description:
      'The model provider answers 15% of chat requests with 429 and 15% with 500, leaves 3% unanswered (the client times out) and gives 10% of tool-calling answers a malformed tool call.',
    storm: true,
    // A storm meets concurrent traffic: tasks start close together, so calls overlap.
    taskStaggerMs: 250,
    inject: async () => undefined,
  },
  {
    id: 'all-at-once',
    description: 'The storm, the worker kills, a 20 s MongoDB outage and a Temporal kill, overlapping.',
    storm: true,
    taskStaggerMs: 5_000,
    inject: async (rig, plan) => {
      await Promise.all([
        workerKills(rig, Math.max(2, plan.workerKills - 1)),
        mongoOutageDuringToolCall(rig, plan),
        temporalKillDuringWork(rig, plan, 8_000),
      ]);
    },
  },
];

/** The scenarios named in `--scenario a,b`, or all. */
export function selectScenarios(names: string | undefined): ChaosScenario[] {
  if (names === undefined || names.trim() === '') return [...SCENARIOS];
  const wanted = names
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = wanted.filter((name) => !SCENARIOS.some((scenario) => scenario.id === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.map((name) => `"${name}"`).join(', ')}: choose from ${SCENARIOS.map((scenario) => scenario.id).join(', ')}`,
    );
  }
  return SCENARIOS.filter((scenario) => wanted.includes(scenario.id));
}
