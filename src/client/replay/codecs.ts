import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { MongoClient } from 'mongodb';
import { loadCodecSettings, type CodecSettings } from '../../config/codec-settings';
import { createDataConverter } from '../../codec/data-converter';
import { PayloadKeyring } from '../../codec/encryption-keys';
import type { ChassisConfig } from '../../config/load-config';
import { connectTemporal, type TemporalSession } from '../connection';
import { mongoClientOptions } from '../../config/mongo-options';

/** A config that may already carry validated codec settings (once the config loader reads them). */
export type ConfigWithCodec = ChassisConfig & { codec?: CodecSettings };

/** The codec settings of a config, else read from the environment. */
export function codecSettingsOf(config: ConfigWithCodec): CodecSettings {
  return config.codec ?? loadCodecSettings();
}

/** A data converter for this process and the MongoDB client it uses, closed together. */
export interface OpenedDataConverter {
  dataConverter: DataConverter;
  settings: CodecSettings;
  close(): Promise<void>;
}

/**
 * Builds the data converter the workers use, from the config. The MongoDB client is
 * created only when the claim check is on, and connects lazily: commands that never meet
 * a claim-checked payload never touch the database.
 */
export function openDataConverter(config: ConfigWithCodec): OpenedDataConverter {
  const settings = codecSettingsOf(config);
  const mongo =
    settings.claimCheckThresholdBytes === undefined
      ? undefined
      : new MongoClient(config.mongo.uri, mongoClientOptions(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 }));
  const dataConverter = createDataConverter({
    db: mongo?.db(config.mongo.database),
    claimCheckThresholdBytes: settings.claimCheckThresholdBytes,
    keyring: PayloadKeyring.of(settings.payloadKeys),
  });
  return { dataConverter, settings, close: async () => mongo?.close() };
}

/** A Temporal client that encodes and decodes payloads as the workers do. */
export interface CodecTemporalSession extends TemporalSession {
  dataConverter: DataConverter;
}

/** {@link connectTemporal}, plus the codec chain (so results and inputs can be read and written). */
export async function connectTemporalWithCodecs(config: ConfigWithCodec): Promise<CodecTemporalSession> {
  const opened = openDataConverter(config);
  let session: TemporalSession;
  try {
    session = await connectTemporal(config);
  } catch (error) {
    await opened.close();
    throw error;
  }
  const client = new Client({
    connection: session.client.connection,
    namespace: config.temporal.namespace,
    dataConverter: opened.dataConverter,
  });
  return {
    client,
    dataConverter: opened.dataConverter,
    async close() {
      await session.close();
      await opened.close();
    },
  };
}
