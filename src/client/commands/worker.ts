import type { LogLevel } from '@temporalio/worker';
import type { ChassisConfig } from '../../config/load-config';
import { isFatalSetupError } from '../../workers/mongo-connection';
import { startWorker } from '../../workers/run-worker';
import { CliError } from '../cli-error';
import { startOfflineModel } from '../offline/offline-model';
import { note } from '../output';

/** Options of `chassis worker`. */
export interface WorkerCommandOptions {
  /** The Temporal SDK's log level. @default 'WARN' */
  logLevel?: LogLevel;
}

/** A setup problem no retry can fix is bad configuration: a one-line error with exit code 2. */
function asCliError(error: unknown): unknown {
  return isFatalSetupError(error) ? new CliError(error.message) : error;
}

/**
 * `chassis worker`: prints what it serves, then its health in one line at start and on
 * every change; waits for Temporal and MongoDB when they are down and works as soon as
 * they answer; runs until Ctrl-C or SIGTERM, then drains and exits.
 */
export async function workerCommand(config: ChassisConfig, options: WorkerCommandOptions = {}): Promise<void> {
  const worker = await startWorker(config, {
    logLevel: options.logLevel ?? 'WARN',
    log: note,
    report: true,
    startOfflineModel,
  }).catch((error: unknown) => {
    throw asCliError(error);
  });
  const stop = () => {
    note('stopping worker: finishing in-flight tasks…');
    void worker.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void worker.ready.then(
    () =>
      note(`worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (Ctrl-C to stop)`),
    () => undefined,
  );
  try {
    await worker.running;
  } catch (error) {
    throw asCliError(error);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
