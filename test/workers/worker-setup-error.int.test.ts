import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { spawnWorkerProcess } from './support/worker-process';

jest.setTimeout(120_000);

describe('a worker whose database cannot serve the configured memory', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase('worker_setup_error');
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('ends with a one-line error and exit code 2 instead of waiting forever', async () => {
    // FerretDB has no Atlas Search: no retry can fix CHASSIS_VECTOR_SEARCH=atlas.
    const worker = spawnWorkerProcess({
      CHASSIS_VECTOR_SEARCH: 'atlas',
      MONGODB_DB: database.db.databaseName,
      CHASSIS_TASK_QUEUE: `test-setup-error-${Date.now()}`,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
    });
    expect(await worker.exited).toBe(2);
    expect(worker.lines.filter((line) => line.trim() !== '')).toEqual([
      'chassis: CHASSIS_VECTOR_SEARCH=atlas but the server has no Atlas Search ($vectorSearch): use a MongoDB Atlas (or Atlas Local) deployment, or set CHASSIS_VECTOR_SEARCH=auto',
    ]);
  });
});
