/**
 * The base of Chassis's own errors, and the marker checks that recognise them.
 *
 * `instanceof` fails when an error was made by another copy of its module (Jest gives every
 * test file its own module registry; a bundle or a second install does the same), and a
 * comparison of `name` also matches any foreign error that happens to share the name. So each
 * error class carries a marker on its prototype under a `Symbol.for` key: the global symbol
 * registry is one for every module copy and realm, so `isConfigError(error)` holds for a
 * `ConfigError` (or a subclass) from any copy, and for nothing else.
 *
 * Pure and sandbox-safe: no Node APIs.
 */

/** A check made by {@link markErrorClass}: true for instances of the class (or a subclass) from any module copy. */
export type ErrorCheck<T extends Error> = (error: unknown) => error is T;

/**
 * Marks `errorClass` with the registered symbol `chassis.error.<name>` (non-enumerable, on its
 * prototype, so it never shows in logs or JSON) and returns the check for it. `name` must be
 * unique among Chassis's error classes; by convention it is the class name.
 */
export function markErrorClass<T extends Error>(
  errorClass: abstract new (...args: never[]) => T,
  name: string,
): ErrorCheck<T> {
  const marker = Symbol.for(`chassis.error.${name}`);
  Object.defineProperty(errorClass.prototype, marker, { value: true });
  return (error: unknown): error is T =>
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
}

/**
 * The base class of every error Chassis defines. Business failures that cross a Temporal
 * boundary are `ApplicationFailure`s of the failure registry instead (`src/contracts/failure-types.ts`);
 * these are the errors Chassis's own code throws and catches.
 */
export class ChassisError extends Error {}

/** True for any Chassis error, from any copy of its module. */
export const isChassisError = markErrorClass(ChassisError, 'ChassisError');
