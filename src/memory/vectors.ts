import { Binary } from 'mongodb';

/**
 * How vectors are stored: `float32-binary` is BSON binary subtype 9 (the "vector" subtype,
 * packed float32, 4 bytes a dimension, what Atlas `$vectorSearch` indexes); `double-array`
 * is a plain array of doubles (8 bytes a dimension plus per-element overhead), the
 * fallback for servers that reject subtype 9.
 */
export type VectorEncoding = 'float32-binary' | 'double-array';

/** A stored vector as the driver returns it. */
export type StoredVector = Binary | number[];

/** Scales a vector to unit length in place (so a dot product is the cosine similarity) and returns it. */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let index = 0; index < vector.length; index += 1) {
    const value = vector[index] as number;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  if (norm === 0 || !Number.isFinite(norm)) return vector;
  for (let index = 0; index < vector.length; index += 1) vector[index] = (vector[index] as number) / norm;
  return vector;
}

/** Dot product of two equally long vectors; the cosine similarity when both are unit length. */
export function dot(left: Float32Array, right: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < left.length; index += 1) sum += (left[index] as number) * (right[index] as number);
  return sum;
}

/** The stored form of a vector. */
export function encodeVector(vector: Float32Array, encoding: VectorEncoding): StoredVector {
  return encoding === 'float32-binary' ? Binary.fromFloat32Array(vector) : Array.from(vector);
}

/**
 * A stored vector back as float32, whichever way it was stored (a collection may hold
 * both after a server change).
 *
 * @throws when the value is neither a float32 vector binary nor an array of numbers.
 */
export function decodeVector(stored: unknown): Float32Array {
  if (stored instanceof Binary) {
    if (stored.sub_type !== Binary.SUBTYPE_VECTOR) {
      throw new Error(
        `stored vector has BSON binary subtype ${stored.sub_type}, expected ${Binary.SUBTYPE_VECTOR} (vector)`,
      );
    }
    return stored.toFloat32Array();
  }
  if (Array.isArray(stored) && stored.every((value) => typeof value === 'number')) return Float32Array.from(stored);
  throw new Error('stored vector is neither a BSON float32 vector nor an array of numbers');
}
