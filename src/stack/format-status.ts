import type { ServiceStatus, StackStatus } from './stack';

/** Human names of the services, for printed status. */
const LABELS: Record<ServiceStatus['name'], string> = {
  temporal: 'Temporal',
  mongo: 'MongoDB (FerretDB)',
};

/** The status as a few aligned lines, for `chassis dev status` without `--json`. */
export function formatStackStatus(status: StackStatus): string {
  return status.services.map(formatServiceStatus).join('\n');
}

function formatServiceStatus(service: ServiceStatus): string {
  const owner = service.external
    ? 'external'
    : service.managed
      ? `managed, pid ${service.pid}`
      : 'not started by Chassis';
  const state = service.running
    ? 'running'
    : `not running${service.problem === undefined ? '' : ` (${service.problem})`}`;
  const details = [
    `${LABELS[service.name].padEnd(19)} ${state.padEnd(8)} ${service.address} [${owner}]`,
    ...(service.uiUrl !== undefined && service.running ? [`  UI   ${service.uiUrl}`] : []),
    ...(service.log === undefined ? [] : [`  log  ${service.log}`]),
  ];
  return details.join('\n');
}
