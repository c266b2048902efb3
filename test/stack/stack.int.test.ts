import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import type { ChassisConfig } from '../../src/config/load-config';
import { loadConfig } from '../../src/config/load-config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/contracts/search-attributes';
import { findService, stackStatus, stackUp } from '../../src/stack';
import { DEFAULTED_VARIABLES } from '../global-setup';

/** `temporal.api.enums.v1.IndexedValueType` numbers of the types Chassis uses. */
const INDEXED_VALUE_TYPES = { Text: 1, Keyword: 2, Int: 3, Double: 4 } as const;

/**
 * The config as the user gave it: the global setup fills in TEMPORAL_ADDRESS and
 * MONGODB_URI for other tests, which would make the local stack look external here.
 */
function userConfig(): ChassisConfig {
  const filledIn = (process.env[DEFAULTED_VARIABLES] ?? '').split(',').filter((name) => name !== '');
  const environment = { ...process.env };
  for (const name of filledIn) delete environment[name];
  return loadConfig(environment);
}

describe('local stack', () => {
  const config = userConfig();

  it('reports both services running, with a pid and log exactly when Chassis manages them', async () => {
    const status = await stackStatus(config);
    expect(status.services.map((service) => service.name)).toEqual(['temporal', 'mongo']);
    for (const service of status.services) {
      expect(service).toMatchObject({ running: true, external: config.external[service.name] });
      // Neither managed nor external is possible too: a server someone else started on
      // the default address, which the stack reuses.
      if (service.external) expect(service.managed).toBe(false);
      expect(service.pid !== undefined && service.log !== undefined).toBe(service.managed);
    }
    expect(findService(status, 'temporal').address).toBe(config.temporal.address);
  });

  it('starts nothing when called again, and keeps the same processes', async () => {
    const before = await stackStatus(config);
    const again = await stackUp(config, { quiet: true });
    for (const name of ['temporal', 'mongo'] as const) {
      expect(findService(again, name).action).not.toBe('started');
      expect(findService(again, name).running).toBe(true);
      expect(findService(again, name).pid).toBe(findService(before, name).pid);
    }
  });

  it('has the custom search attributes registered with their types', async () => {
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      const response = await connection.operatorService.listSearchAttributes({ namespace: config.temporal.namespace });
      const registered = Object.fromEntries(
        Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]),
      );
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) {
        expect({ name, type: registered[name] }).toEqual({ name, type: INDEXED_VALUE_TYPES[type] });
      }
    } finally {
      await connection.close();
    }
  });

  it('stores and reads back a document through the MongoDB driver', async () => {
    const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
    try {
      const collection = client.db(config.mongo.database).collection<{ _id: string; value: number }>('stack_test');
      const id = randomUUID();
      await collection.insertOne({ _id: id, value: 42 });
      expect(await collection.findOne({ _id: id })).toEqual({ _id: id, value: 42 });
      await collection.deleteOne({ _id: id });
      expect(await collection.countDocuments({ _id: id })).toBe(0);
    } finally {
      await client.close();
    }
  });
});
