import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';

/** A unique database on the real local MongoDB-wire server (FerretDB here), dropped by `drop()`. */
export interface TestDatabase {
  client: MongoClient;
  db: Db;
  drop(): Promise<void>;
}

/** MongoDB URI the test global setup exported (or the local default). */
export function testMongoUri(): string {
  return process.env.MONGODB_URI || 'mongodb://127.0.0.1:27017/';
}

/**
 * Opens a database named after the test file plus a random suffix, so test files never
 * share state. Never a mock: these tests run against the real server.
 */
export async function openTestDatabase(label: string): Promise<TestDatabase> {
  const client = new MongoClient(testMongoUri(), { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const name = `test_memory_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 60);
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
