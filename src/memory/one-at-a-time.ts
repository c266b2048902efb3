import type { Db } from 'mongodb';

/** Work under way per key; a key is removed once its last work has settled. */
export type Lanes = Map<string, Promise<unknown>>;

/** Runs `work` after the work queued under `key` in `lanes` before it, whether that succeeded or failed. */
export function inLane<T>(lanes: Lanes, key: string, work: () => Promise<T>): Promise<T> {
  const previous = lanes.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  lanes.set(key, settled);
  void settled.then(() => {
    if (lanes.get(key) === settled) lanes.delete(key);
  });
  return next;
}

const lanesByDatabase = new WeakMap<Db, Lanes>();

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
  let lanes = lanesByDatabase.get(db);
  if (lanes === undefined) {
    lanes = new Map();
    lanesByDatabase.set(db, lanes);
  }
  return inLane(lanes, key, update);
}
