import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

/** A database of its own for one test file on the real local MongoDB-wire server; dropped by `drop()`. */
export interface TestDatabase {
  client: MongoClient;
  db: Db;
  drop(): Promise<void>;
}

/** Opens `chassis_test_<label>_<random>` on `MONGODB_URI` (set by the global setup). */
export async function openTestDatabase(label: string): Promise<TestDatabase> {
  const uri = process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/';
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db(`chassis_test_${label}_${randomUUID().slice(0, 8)}`);
  return {
    client,
    db,
    async drop() {
      try {
        await db.dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}
