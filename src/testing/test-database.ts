import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

/** A unique database on the real local MongoDB-wire server (FerretDB here), dropped by `drop()`. */
export interface TestDatabase {
  client: MongoClient;
  db: Db;
  drop(): Promise<void>;
}

/**
 * Opens `chassis_test_<label>_<random>` on `MONGODB_URI` (set by the test global setup), so
 * test files never share state. Never a mock: these tests run against the real server.
 */
export async function openTestDatabase(label: string): Promise<TestDatabase> {
  const uri = process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/';
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  const name = `chassis_test_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 60);
  const db = client.db(name);
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
