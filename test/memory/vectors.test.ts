import { Binary } from 'mongodb';
import { decodeVector, encodeVector, normalizeInPlace } from '../../src/memory/vectors';

describe('vector encodings', () => {
  const vector = normalizeInPlace(new Float32Array([3, -4, 0, 1e-3]));

  it('round-trips through BSON float32 binary (subtype 9)', () => {
    const stored = encodeVector(vector, 'float32-binary');
    expect(stored).toBeInstanceOf(Binary);
    expect((stored as Binary).sub_type).toBe(Binary.SUBTYPE_VECTOR);
    expect(Array.from(decodeVector(stored))).toEqual(Array.from(vector));
  });

  it('round-trips through the double-array fallback for servers without subtype 9', () => {
    const stored = encodeVector(vector, 'double-array');
    expect(Array.isArray(stored)).toBe(true);
    expect(Array.from(decodeVector(stored))).toEqual(Array.from(vector));
  });

  it('refuses values that are not vectors', () => {
    expect(() => decodeVector(new Binary(Buffer.from([1, 2, 3]), 0))).toThrow(/subtype 0/);
    expect(() => decodeVector(['a'])).toThrow(/neither/);
    expect(() => decodeVector(undefined)).toThrow(/neither/);
  });
});
