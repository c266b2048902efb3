import { readFile } from 'node:fs/promises';

/** One float32 tensor of a safetensors file. */
export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Reads the float32 tensors of a safetensors file (8-byte little-endian header length, a
 * JSON header of names, dtypes, shapes and byte ranges, then the raw data). Tensors of
 * other types (e.g. int64 position ids) are left out.
 *
 * @throws naming the file when it is not a safetensors file.
 */
export async function readSafetensors(file: string): Promise<Map<string, Float32Tensor>> {
  const buffer = await readFile(file);
  if (buffer.length < 8) throw new Error(`${file} is not a safetensors file: too short`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > buffer.length) {
    throw new Error(`${file} is not a safetensors file: bad header length ${headerLength}`);
  }
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8')) as typeof header;
  } catch (error) {
    throw new Error(`${file} is not a safetensors file: ${(error as Error).message}`);
  }
  const base = 8 + headerLength;
  const tensors = new Map<string, Float32Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__' || entry.dtype !== 'F32' || entry.data_offsets === undefined) continue;
    const [start, end] = entry.data_offsets;
    // A copy: the tensor's offset in the file need not be 4-byte aligned.
    const bytes = Buffer.from(buffer.subarray(base + start, base + end));
    tensors.set(name, {
      shape: entry.shape ?? [],
      data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4),
    });
  }
  return tensors;
}
