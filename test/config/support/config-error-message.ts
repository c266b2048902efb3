import { isConfigError } from '../../../src/config/config-error';

/** The message of the ConfigError `load` throws; fails the test when it throws nothing or something else. */
export function configErrorMessage(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (isConfigError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
