import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { Db } from 'mongodb';
import { ClaimCheckCodec } from './claim-check-codec';
import { ClaimCheckStore } from './claim-check-store';
import { PayloadCodecError } from './codec-errors';
import { EncryptionCodec } from './encryption-codec';
import type { PayloadKeyring } from './encryption-keys';

/** Options of {@link createPayloadCodecs} and {@link createDataConverter}. */
export interface PayloadCodecOptions {
  /** Where claim-checked payloads live; required when the claim check is on. Injected, never opened here. */
  db?: Db;
  /** Payloads at least this big go to MongoDB; `undefined` turns the claim check off. */
  claimCheckThresholdBytes: number | undefined;
  /** Turns encryption on. @default undefined (payloads in clear) */
  keyring?: PayloadKeyring;
  /** In-memory cache of claim-checked payloads. @default 64 MB */
  claimCheckCacheBytes?: number;
}

/**
 * The codec chain, in Temporal's order (encode first to last, decode last to first):
 * claim check, then encryption. The reference left in the history is encrypted by the
 * second codec, and the claim check encrypts the blobs it stores with the same keys, so
 * nothing is in clear in Temporal or in MongoDB. An empty chain when both are off.
 */
export function createPayloadCodecs(options: PayloadCodecOptions): PayloadCodec[] {
  const codecs: PayloadCodec[] = [];
  if (options.claimCheckThresholdBytes !== undefined) {
    if (options.db === undefined) {
      throw new PayloadCodecError('the claim check needs a MongoDB database: pass `db`, or turn it off');
    }
    codecs.push(
      new ClaimCheckCodec({
        store: new ClaimCheckStore(options.db),
        thresholdBytes: options.claimCheckThresholdBytes,
        keyring: options.keyring,
        cacheBytes: options.claimCheckCacheBytes,
      }),
    );
  }
  if (options.keyring !== undefined) codecs.push(new EncryptionCodec(options.keyring));
  return codecs;
}

/**
 * The module whose `failureConverter` encodes failure messages and stack traces as a payload
 * (so the encryption codec covers them). Workers must also bundle their workflows with it
 * (`bundleWorkflows({ failureConverterPath })`): the sandbox converts the workflow's own failures.
 */
export const ENCODED_FAILURE_CONVERTER_PATH = require.resolve('./encoded-failure-converter');

/**
 * A Temporal data converter with the Chassis codec chain, for `new Client({ dataConverter })`,
 * `Worker.create({ dataConverter })` and `Worker.runReplayHistory({ dataConverter })`.
 * Codecs run in the worker's main thread (not the workflow sandbox), so they may do I/O.
 * Use one converter per process: its claim-check cache is shared by client and workers.
 * With encryption on, failure messages and stack traces are encoded (and so encrypted) too.
 */
export function createDataConverter(options: PayloadCodecOptions): DataConverter {
  return {
    payloadCodecs: createPayloadCodecs(options),
    ...(options.keyring !== undefined ? { failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH } : {}),
  };
}
