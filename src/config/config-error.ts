import { ChassisError, markErrorClass } from '../shared/chassis-error';

/** A configuration problem; its message is one line a user can act on. */
export class ConfigError extends ChassisError {
  override readonly name = 'ConfigError';
}

/** True for a {@link ConfigError} from any copy of this module. */
export const isConfigError = markErrorClass(ConfigError, 'ConfigError');
