import type { ChassisConfig } from '../../config/load-config';
import { startWorker } from '../../workers/run-worker';
import { note } from '../output';

/** `chassis worker`: runs the workers until Ctrl-C or SIGTERM, then drains and exits. */
export async function workerCommand(config: ChassisConfig): Promise<void> {
  const worker = await startWorker(config);
  if (worker.offlineNotice) note(`notice: ${worker.offlineNotice}`);
  note(`worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (Ctrl-C to stop)`);
  const stop = () => {
    note('stopping worker: finishing in-flight tasks…');
    void worker.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.running;
}
