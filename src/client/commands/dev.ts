import type { ChassisConfig } from '../../config/load-config';
import { stackDown, stackStatus, stackUp, type ServiceStatus } from '../../stack/stack';
import { CliError } from '../cli-error';
import { printJson } from '../output';

function printServices(services: ServiceStatus[]): void {
  for (const service of services) {
    const state = service.running ? 'running' : 'stopped';
    const owner = service.managed ? 'managed' : service.external ? 'external' : 'reused';
    const extra = [
      service.pid !== undefined ? `pid ${service.pid}` : '',
      service.uiUrl ? `UI ${service.uiUrl}` : '',
      service.log ? `log ${service.log}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    process.stdout.write(
      `${service.name.padEnd(9)} ${state.padEnd(8)} ${owner.padEnd(9)} ${service.address}${extra ? `  (${extra})` : ''}\n`,
    );
  }
}

/** `chassis dev up|down|status`: the local Temporal and MongoDB-wire servers. */
export async function devCommand(
  config: ChassisConfig,
  action: string,
  options: { json?: boolean; quiet?: boolean },
): Promise<void> {
  let services: ServiceStatus[];
  switch (action) {
    case 'up':
      services = (await stackUp(config, { quiet: options.quiet ?? false })).services;
      break;
    case 'down':
      services = (await stackDown(config, { quiet: options.quiet ?? false })).services;
      break;
    case 'status':
      services = (await stackStatus(config)).services;
      break;
    default:
      throw new CliError(`unknown action "${action}" for chassis dev: use up, down or status`);
  }
  if (options.json) printJson({ services });
  else if (!options.quiet) printServices(services);
}
