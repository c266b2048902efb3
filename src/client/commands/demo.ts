import type { ChassisConfig } from '../../config/load-config';
import { stackUp } from '../../stack/stack';
import { startWorker } from '../../workers/run-worker';
import { workflowUiUrl } from '../connection';
import { DEMO_GOAL } from '../offline/demo-goal';
import { startOfflineModel } from '../offline/offline-model';
import { note } from '../output';
import { runCommand } from './run';

/**
 * `chassis demo`: the main job end to end on the local stack. Starts the servers if
 * needed, runs a worker in this process, runs one task and prints the answer and the link
 * to the workflow in the Temporal UI.
 */
export async function demoCommand(config: ChassisConfig, options: { goal?: string; json?: boolean }): Promise<void> {
  note('starting the local stack (Temporal dev server + FerretDB)…');
  await stackUp(config, { quiet: false });
  const worker = await startWorker(config, { logLevel: 'WARN', startOfflineModel });
  try {
    await worker.ready;
    if (worker.offlineNotice) note(`notice: ${worker.offlineNotice}`);
    const goal = options.goal ?? DEMO_GOAL;
    note(`goal: ${goal}`);
    // The worker was started a moment ago: give the server time to list it as a poller.
    // Started through the worker's own connection: the server hands the first workflow task
    // straight back to it (eager start), a hand-off less.
    const outcome = await runCommand(config, goal, {
      json: options.json,
      pollerGraceMs: 20_000,
      eagerClient: worker.eagerClient(),
    });
    if (!options.json) {
      note(`\nOpen it in the Temporal UI: ${workflowUiUrl(config, outcome.workflowId, outcome.runId)}`);
      note('The local stack keeps running; stop it with "npx chassis dev down".');
    }
  } finally {
    await worker.stop();
  }
}
