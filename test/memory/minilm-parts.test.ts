import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bertOnnxModel } from '../../src/memory/bert-onnx-graph';
import { readSafetensors, type Float32Tensor } from '../../src/memory/safetensors';
import { WordPieceTokenizer } from '../../src/memory/wordpiece-tokenizer';

const VOCABULARY = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'caroline',
  "'",
  's',
  'lgbt',
  '##q',
  'support',
  '-',
  'group',
  ',',
  'cafe',
  '!',
];

describe('WordPieceTokenizer', () => {
  const tokenizer = new WordPieceTokenizer(VOCABULARY);

  it('lower-cases, strips accents, splits punctuation and cuts words into the longest known pieces', () => {
    expect(tokenizer.basicTokens("Caroline's LGBTQ support-group, Café!")).toEqual([
      'caroline',
      "'",
      's',
      'lgbtq',
      'support',
      '-',
      'group',
      ',',
      'cafe',
      '!',
    ]);
    const ids = tokenizer.encode("Caroline's LGBTQ support-group, Café!");
    expect(ids.map((id) => VOCABULARY[id])).toEqual([
      '[CLS]',
      'caroline',
      "'",
      's',
      'lgbt',
      '##q',
      'support',
      '-',
      'group',
      ',',
      'cafe',
      '!',
      '[SEP]',
    ]);
  });

  it('marks words it cannot piece together as unknown, and keeps to the token limit', () => {
    expect(tokenizer.encode('zebra group').map((id) => VOCABULARY[id])).toEqual(['[CLS]', '[UNK]', 'group', '[SEP]']);
    expect(tokenizer.encode('group group group group group', 4)).toHaveLength(4);
    expect(() => new WordPieceTokenizer(['a', 'b'])).toThrow(/no \[UNK\] token/);
  });
});

describe('readSafetensors', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'safetensors-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function write(name: string, header: object, data: Buffer): string {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const file = path.join(folder, name);
    writeFileSync(file, Buffer.concat([length, json, data]));
    return file;
  }

  it('reads float32 tensors with their shapes and leaves other types out', async () => {
    const values = Buffer.from(Float32Array.from([1.5, -2, 3, 4, 5, 6]).buffer);
    const ids = Buffer.from(BigInt64Array.from([7n]).buffer);
    const file = write(
      'tiny.safetensors',
      {
        __metadata__: { format: 'pt' },
        weight: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
        ids: { dtype: 'I64', shape: [1], data_offsets: [24, 32] },
      },
      Buffer.concat([values, ids]),
    );
    const tensors = await readSafetensors(file);
    expect([...tensors.keys()]).toEqual(['weight']);
    expect(tensors.get('weight')?.shape).toEqual([2, 3]);
    expect(Array.from(tensors.get('weight')!.data)).toEqual([1.5, -2, 3, 4, 5, 6]);
  });

  it('names a file that is not safetensors', async () => {
    const file = path.join(folder, 'junk.bin');
    writeFileSync(file, Buffer.from('definitely not a model'));
    await expect(readSafetensors(file)).rejects.toThrow(/junk\.bin is not a safetensors file/);
  });
});

describe('bertOnnxModel', () => {
  const hidden = 4;
  const tensor = (shape: number[]): Float32Tensor => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((product, size) => product * size, 1) }, (_, index) => index / 100),
  });
  function tinyBert(): Map<string, Float32Tensor> {
    const weights = new Map<string, Float32Tensor>([
      ['embeddings.word_embeddings.weight', tensor([10, hidden])],
      ['embeddings.position_embeddings.weight', tensor([8, hidden])],
      ['embeddings.token_type_embeddings.weight', tensor([2, hidden])],
      ['embeddings.LayerNorm.weight', tensor([hidden])],
      ['embeddings.LayerNorm.bias', tensor([hidden])],
    ]);
    const prefix = 'encoder.layer.0';
    for (const name of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      weights.set(`${prefix}.${name}.weight`, tensor([hidden, hidden]));
      weights.set(`${prefix}.${name}.bias`, tensor([hidden]));
    }
    weights.set(`${prefix}.intermediate.dense.weight`, tensor([8, hidden]));
    weights.set(`${prefix}.intermediate.dense.bias`, tensor([8]));
    weights.set(`${prefix}.output.dense.weight`, tensor([hidden, 8]));
    weights.set(`${prefix}.output.dense.bias`, tensor([hidden]));
    for (const name of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      weights.set(`${prefix}.${name}.weight`, tensor([hidden]));
      weights.set(`${prefix}.${name}.bias`, tensor([hidden]));
    }
    return weights;
  }
  const shape = { hiddenSize: hidden, heads: 2, layers: 1, layerNormEpsilon: 1e-12 };

  it('writes an ONNX model (IR 8, opset 17) with the weights, the three inputs and the encoder ops', () => {
    const { model, output } = bertOnnxModel(tinyBert(), shape);
    const text = model.toString('latin1');
    // ModelProto starts with ir_version = 8 (field 1, varint).
    expect([...model.subarray(0, 2)]).toEqual([0x08, 0x08]);
    for (const name of [
      'input_ids',
      'position_ids',
      'attention_bias',
      output,
      'encoder.layer.0.attention.self.query.weight',
    ]) {
      expect(text).toContain(name);
    }
    for (const operator of ['Gather', 'LayerNormalization', 'MatMul', 'Softmax', 'Erf', 'Transpose', 'Reshape']) {
      expect(text).toContain(operator);
    }
    // A PyTorch [out, in] weight is written transposed for MatMul: the query weight's
    // second value in the file (row 0, column 1) is the fifth written (row 1 of [in, out]).
    const query = tinyBert().get('encoder.layer.0.attention.self.query.weight')!.data;
    const written = Buffer.from(Float32Array.from([query[0]!, query[4]!, query[8]!, query[12]!, query[1]!]).buffer);
    expect(model.includes(written)).toBe(true);
  });

  it('names a missing weight', () => {
    const weights = tinyBert();
    weights.delete('encoder.layer.0.output.dense.bias');
    expect(() => bertOnnxModel(weights, shape)).toThrow(/no weight "encoder\.layer\.0\.output\.dense\.bias"/);
  });
});
