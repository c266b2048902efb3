import { Runtime } from '@temporalio/worker';
import { quietLogger } from '../../observability/quiet-logger';

let installed = false;

/**
 * Installs a Temporal runtime that logs errors only, from the SDK and from its native core.
 * The replayer's core logs every divergence it finds at WARN ("Failing workflow task");
 * `chassis replay` reports the divergence itself, on one line. Must run before the first
 * worker is created; a runtime already installed is kept.
 */
export function installQuietRuntime(): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: quietLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // A runtime exists already (created by a worker in this process): keep it.
  }
}
