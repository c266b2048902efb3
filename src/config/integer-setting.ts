import { ConfigError } from './config-error';

/**
 * A whole-number environment variable within bounds.
 *
 * @throws {ConfigError} naming the variable, the bounds and an example
 */
export function integerSetting(name: string, raw: string, minimum: number, maximum: number, example: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < minimum || value > maximum) {
    throw new ConfigError(
      `${name} is invalid: ${JSON.stringify(raw)} (must be an integer from ${minimum} to ${maximum}, e.g. ${example})`,
    );
  }
  return value;
}
