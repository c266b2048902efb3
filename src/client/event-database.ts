import { MongoClient, type Db } from 'mongodb';
import { PayloadKeyring } from '../codec/encryption-keys';
import { FieldEncryption } from '../codec/field-encryption';
import type { ChassisConfig } from '../config/load-config';

/** The database workers publish task events to, as the CLI reads it. */
export interface EventDatabase {
  db: Db;
  /** Opens events sealed with the payload keys (`CHASSIS_PAYLOAD_KEY`), as workers seal them. */
  fields: FieldEncryption;
  close(): Promise<void>;
}

/**
 * Opens the configured MongoDB database for reading task events. Connects on first use, with
 * a short server selection: when the database is down, following degrades to waiting for the
 * result instead of hanging.
 */
export function openEventDatabase(config: ChassisConfig): EventDatabase {
  const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 3_000 });
  return {
    db: client.db(config.mongo.database),
    fields: new FieldEncryption(PayloadKeyring.of(config.codec.payloadKeys)),
    close: () => client.close(),
  };
}
