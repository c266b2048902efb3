import { ConfigError, isConfigError } from '../../src/config/config-error';
import type * as ConfigErrorModule from '../../src/config/config-error';
import { isChassisError, ChassisError, markErrorClass } from '../../src/shared/chassis-error';
import {
  isTransientToolError,
  isToolTimeoutError,
  ToolTimeoutError,
  TransientToolError,
} from '../../src/tools/tool-errors';

/** A second copy of a module, as Jest's per-file registry or a second install makes one. */
function secondCopy<T>(modulePath: string): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = require(modulePath) as T;
  });
  return loaded as T;
}

describe('Chassis errors and their marker checks', () => {
  test('a check recognises an error made by another copy of the module, where instanceof does not', () => {
    const other = secondCopy<typeof ConfigErrorModule>('../../src/config/config-error');
    const foreign = new other.ConfigError('CHASSIS_X is invalid');
    expect(foreign instanceof ConfigError).toBe(false);
    expect(isConfigError(foreign)).toBe(true);
    expect(other.isConfigError(new ConfigError('local'))).toBe(true);
    expect(isChassisError(foreign)).toBe(true);
  });

  test('an unrelated error with the same name is not taken for a Chassis error', () => {
    const lookalike = Object.assign(new Error('not ours'), { name: 'ConfigError' });
    expect(isConfigError(lookalike)).toBe(false);
    expect(isChassisError(lookalike)).toBe(false);
    expect(isConfigError(undefined)).toBe(false);
    expect(isConfigError('ConfigError')).toBe(false);
  });

  test('a subclass passes its own check and its base class checks, a base class not the subclass check', () => {
    const timeout = new ToolTimeoutError('no answer within 5 s');
    expect(isToolTimeoutError(timeout)).toBe(true);
    expect(isTransientToolError(timeout)).toBe(true);
    expect(isChassisError(timeout)).toBe(true);
    expect(isToolTimeoutError(new TransientToolError('503'))).toBe(false);
    expect(isConfigError(timeout)).toBe(false);
  });

  test('the marker stays out of logs and JSON: not an own or enumerable property', () => {
    const error = new ConfigError('bad');
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(JSON.stringify({ ...error })).toBe('{"name":"ConfigError"}');
    expect(error).toBeInstanceOf(ChassisError);
    expect(error.message).toBe('bad');
  });

  test('a class marked under a name answers only to its own check', () => {
    class LocalError extends ChassisError {}
    const isLocalError = markErrorClass(LocalError, 'TestOnlyLocalError');
    expect(isLocalError(new LocalError('x'))).toBe(true);
    expect(isLocalError(new ConfigError('x'))).toBe(false);
  });
});
