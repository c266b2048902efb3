/**
 * `npm run chaos [-- --short]`: the chaos suite (issue 10, item 9). Agent tasks that each
 * call a side-effecting MCP tool once run on worker processes while the suite kills
 * workers, kills Temporal, stops MongoDB and storms the model provider; then it counts from
 * the tool's own append-only record what was lost, duplicated or left unknown. Everything
 * runs on a private stack (its own Temporal and FerretDB on free ports, its own folders),
 * never on the shared servers. See docs/chaos.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ChaosRig } from '../../src/testing/chaos/chaos-rig';
import { startPrivateMongo, startPrivateTemporal, type PrivateServer } from '../../src/testing/private-servers';
import { writeBenchmarkResult } from '../support/results';
import { printTable } from '../support/table';
import { ChassisError, markErrorClass } from '../../src/shared/chassis-error';
import { chaosJsonRows, chaosTable, chaosVerdict, type ScenarioReport } from './report';
import { runScenario } from './run-scenario';
import { SCENARIOS, selectScenarios, type ChaosPlan } from './scenarios';

const USAGE = `usage: npm run chaos -- [--short] [--scenario a,b] [--tasks N] [--workers N] [--seed N] [--keep] [--list]

  --short          the CI size: 4 tasks per scenario, 3 worker kills (default: 10 tasks, 4 kills)
  --scenario a,b   run only these scenarios (see --list)
  --tasks N        tasks per scenario
  --workers N      worker processes per scenario (default 2)
  --seed N         seed of the storms and random kills (default 1)
  --keep           keep the run folder (worker logs, effects files) instead of deleting it
  --list           print the scenarios and exit`;

/** A bad command line: one line on stderr, exit code 2. */
class UsageError extends ChassisError {
  override readonly name = 'UsageError';
}

const isUsageError = markErrorClass(UsageError, 'ChaosUsageError');

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 100) {
    throw new UsageError(`--${name} must be an integer from 1 to 100, not "${value}"`);
  }
  return parsed;
}

function parseCommandLine(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        short: { type: 'boolean', default: false },
        scenario: { type: 'string' },
        tasks: { type: 'string' },
        workers: { type: 'string' },
        seed: { type: 'string' },
        keep: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  const short = values.short === true;
  const plan: ChaosPlan = {
    short,
    tasks: positiveInteger('tasks', values.tasks, short ? 4 : 10),
    workers: positiveInteger('workers', values.workers, 2),
    workerKills: short ? 3 : 4,
    mongoDownMs: 20_000,
    temporalDownMs: 5_000,
    deadlineMs: short ? 150_000 : 300_000,
    seed: values.seed === undefined ? 1 : positiveInteger('seed', values.seed, 1),
  };
  let scenarios;
  try {
    scenarios = selectScenarios(values.scenario);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { plan, scenarios, keep: values.keep === true, list: values.list === true, help: values.help === true };
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** What must be stopped or removed however the run ends. */
interface Cleanup {
  folder: string;
  keep: boolean;
  servers: PrivateServer[];
  rig: ChaosRig | undefined;
}

let cleaningUp: Promise<void> | undefined;

function cleanUp(cleanup: Cleanup): Promise<void> {
  cleaningUp ??= (async () => {
    await cleanup.rig?.dispose().catch(() => undefined);
    if (cleanup.keep) {
      await Promise.allSettled(cleanup.servers.map((server) => server.stop()));
      log(`run folder kept: ${cleanup.folder}`);
    } else {
      await Promise.allSettled(cleanup.servers.map((server) => server.dispose()));
      fs.rmSync(cleanup.folder, { recursive: true, force: true });
    }
  })();
  return cleaningUp;
}

async function main(): Promise<number> {
  const { plan, scenarios, keep, list, help } = parseCommandLine(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (list) {
    for (const scenario of SCENARIOS) process.stdout.write(`${scenario.id}: ${scenario.description}\n`);
    return 0;
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-chaos-'));
  const cleanup: Cleanup = { folder, keep, servers: [], rig: undefined };
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping workers and servers…`);
    void cleanUp(cleanup).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const started = Date.now();
  const reports: ScenarioReport[] = [];
  try {
    log(
      `chaos suite (${plan.short ? 'short' : 'full'}): ${scenarios.length} scenario(s), ${plan.tasks} tasks and ${plan.workers} workers each; run folder ${folder}`,
    );
    const [temporal, mongo] = await Promise.all([
      startPrivateTemporal({ home: path.join(folder, 'temporal') }),
      startPrivateMongo({ home: path.join(folder, 'mongo') }),
    ]);
    cleanup.servers.push(temporal, mongo);
    log(`private Temporal on ${temporal.address}, private MongoDB on ${mongo.address}`);
    for (const scenario of scenarios) {
      log(`scenario ${scenario.id}: ${scenario.description}`);
      const report = await runScenario(
        scenario,
        plan,
        { temporal, mongo, folder, log, onRig: (rig) => (cleanup.rig = rig) },
        // Its place among all scenarios, not the selected ones: a scenario's draws do not depend on --scenario.
        SCENARIOS.indexOf(scenario),
      );
      reports.push(report);
      log(
        `scenario ${scenario.id} done in ${Math.round(report.durationMs / 1000)} s: ${report.completed}/${report.runs} completed, ${report.lost} lost, ${report.duplicated} duplicated`,
      );
    }
  } finally {
    await cleanUp(cleanup);
  }

  const title = [
    `Chaos suite (${plan.short ? 'short' : 'full'}), ${plan.tasks} tasks per scenario on ${plan.workers} worker processes, in ${Math.round((Date.now() - started) / 1000)} s.`,
    'lost: completed without the effect and without reporting it unknown; unreported: the effect ran but the model was told the call failed and the task did not report it unknown;',
    "recovery p95: from a worker kill to the interrupted task's next model request or tool call (n samples; ≥ when a task never recovered).",
    'with infra up: the same, less the time MongoDB or the Temporal server was down in between (the harness cannot resolve a call while its ledger is down).',
    'retried p95: from a worker kill to the interrupted call started again by another worker process (Temporal), or to the next progress if sooner.',
    '',
  ];
  printTable(chaosTable(reports, title));
  const verdict = chaosVerdict(reports);
  const written = writeBenchmarkResult('chaos', {
    mode: plan.short ? 'short' : 'full',
    plan,
    durationMs: Date.now() - started,
    verdict,
    scenarios: chaosJsonRows(reports),
  });
  process.stdout.write('\n');
  for (const warning of verdict.warnings) process.stdout.write(`target missed: ${warning}\n`);
  if (verdict.ok) process.stdout.write('chaos: OK (nothing lost, duplicated, stuck, failed or unreported)\n');
  else for (const problem of verdict.problems) process.stdout.write(`chaos: FAIL ${problem}\n`);
  process.stderr.write(`results written to ${written}\n`);
  return verdict.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isUsageError(error)) {
      process.stderr.write(`chaos: ${error.message}\n${USAGE.split('\n')[0]}\n`);
      process.exit(2);
    }
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
