import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { startPrivateMongo, startPrivateTemporal, type PrivateServer } from '../../src/testing/private-servers';

describe('private servers for fault-injection tests', () => {
  let mongo: PrivateServer | undefined;
  let temporal: PrivateServer | undefined;

  afterAll(async () => {
    await mongo?.dispose();
    await temporal?.dispose();
  });

  it('a private FerretDB keeps its data across a kill -9 and a restart on the same port', async () => {
    mongo = await startPrivateMongo();
    expect(mongo.address).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(mongo.address).not.toBe('mongodb://127.0.0.1:27017/');
    const write = new MongoClient(mongo.address, { serverSelectionTimeoutMS: 3_000 });
    await write
      .db('private')
      .collection('items')
      .insertOne({ _id: 'kept' as never, value: 1 });
    await write.close();

    await mongo.kill();
    expect(mongo.pid()).toBeUndefined();
    const down = new MongoClient(mongo.address, { serverSelectionTimeoutMS: 500 });
    await expect(down.db('private').command({ ping: 1 })).rejects.toThrow();
    await down.close();

    await mongo.start();
    expect(mongo.pid()).toBeGreaterThan(0);
    const read = new MongoClient(mongo.address, { serverSelectionTimeoutMS: 3_000 });
    expect(
      await read
        .db('private')
        .collection('items')
        .findOne({ _id: 'kept' as never }),
    ).toMatchObject({ value: 1 });
    await read.close();
  });

  it('a private Temporal dev server answers on its own port', async () => {
    temporal = await startPrivateTemporal();
    expect(temporal.address).not.toBe('127.0.0.1:7233');
    const connection = await Connection.connect({ address: temporal.address });
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    await connection.close();
    await temporal.stop();
    expect(temporal.pid()).toBeUndefined();
  });
});
