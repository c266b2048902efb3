export { findService, stackDown, stackStatus, stackUp } from './stack';
export type { ServiceAction, ServiceStatus, StackOptions, StackStatus } from './stack';
export { formatStackStatus } from './format-status';
export { StackError } from './stack-error';
export {
  binaryCacheDirectory,
  ensureFerretDb,
  ensureTemporalCli,
  ferretDbPath,
  temporalCliPath,
  TEMPORAL_CLI_VERSION,
} from './binaries';
export type { BinaryOptions } from './binaries';
export type { ServiceName } from './services';
