import type { Db } from 'mongodb';

const lanes = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Runs `update` after the updates of the same `key` (one document) that this process
 * started before it, on any store over the same database.
 *
 * Why: FerretDB v1 applies an update as a read-modify-write, so two concurrent updates of
 * one document keep one of them: of eleven facts saved at once into one namespace, the
 * namespace's revision counted ten and the writer's own index missed the eleventh for good.
 * Within a process that is avoidable by order; MongoDB itself needs none of this.
 */
export function oneAtATime<T>(db: Db, key: string, update: () => Promise<T>): Promise<T> {
  let keys = lanes.get(db);
  if (keys === undefined) {
    keys = new Map();
    lanes.set(db, keys);
  }
  const previous = keys.get(key) ?? Promise.resolve();
  const next = previous.then(update, update);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  keys.set(key, settled);
  void settled.then(() => {
    if (keys.get(key) === settled) keys.delete(key);
  });
  return next;
}
