import { Binary, type Db } from 'mongodb';
import type { VectorEncoding } from './vectors';

/** Collection of the probe document; spelled here, not imported, to keep `database.ts` free of a cycle. */
const PROBE_COLLECTION = 'memory_capabilities';
const PROBE_ID = 'vector-encoding-probe';
/** Values exactly representable in float32, so a round trip must return them unchanged. */
const PROBE_VALUES = [0.5, -0.25, 0.125, 1];

const detected = new WeakMap<Db, Promise<VectorEncoding>>();

async function probe(db: Db): Promise<VectorEncoding> {
  const collection = db.collection<{ _id: string; vector: unknown }>(PROBE_COLLECTION);
  try {
    await collection.replaceOne(
      { _id: PROBE_ID },
      { vector: Binary.fromFloat32Array(new Float32Array(PROBE_VALUES)) },
      { upsert: true },
    );
  } catch (error) {
    // A server that does not know subtype 9 rejects the document; anything else is an outage.
    if (error instanceof Error && error.name === 'MongoServerError') return 'double-array';
    throw error;
  }
  const stored = await collection.findOne({ _id: PROBE_ID });
  const vector = stored?.vector;
  if (!(vector instanceof Binary) || vector.sub_type !== Binary.SUBTYPE_VECTOR) return 'double-array';
  try {
    const values = Array.from(vector.toFloat32Array());
    return values.length === PROBE_VALUES.length && values.every((value, index) => value === PROBE_VALUES[index])
      ? 'float32-binary'
      : 'double-array';
  } catch {
    return 'double-array';
  }
}

/**
 * Finds out once per database whether the server stores BSON float32 vectors (binary
 * subtype 9) unchanged, by writing and reading back a probe document. A failed probe
 * (server unreachable) is not remembered, so the next call tries again.
 */
export function detectVectorEncoding(db: Db): Promise<VectorEncoding> {
  const known = detected.get(db);
  if (known !== undefined) return known;
  const attempt = probe(db);
  detected.set(db, attempt);
  attempt.catch(() => detected.delete(db));
  return attempt;
}
