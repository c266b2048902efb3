import { MongoClient, type Db } from 'mongodb';
import type { ChassisConfig } from '../config/load-config';

/** The database workers publish task events to, as the CLI reads it. */
export interface EventDatabase {
  db: Db;
  close(): Promise<void>;
}

/**
 * Opens the configured MongoDB database for reading task events. Connects on first use, with
 * a short server selection: when the database is down, following degrades to waiting for the
 * result instead of hanging.
 */
export function openEventDatabase(config: ChassisConfig): EventDatabase {
  const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 3_000 });
  return { db: client.db(config.mongo.database), close: () => client.close() };
}
