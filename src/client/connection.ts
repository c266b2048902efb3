import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { createDataConverter } from '../codec/data-converter';
import type { ChassisConfig } from '../config/load-config';
import { clientConnectionOptions } from '../config/temporal-connection';
import { CliError } from './cli-error';
import { mongoClientOptions } from '../config/mongo-options';

/** A connected Temporal client, closed with {@link TemporalSession.close}. */
export interface TemporalSession {
  client: Client;
  close(): Promise<void>;
}

/** Connects to Temporal, turning "server not there" into a one-line, actionable error. */
export async function connectTemporal(config: ChassisConfig): Promise<TemporalSession> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...clientConnectionOptions(config.temporal.connection),
      connectTimeout: '5 seconds',
      // SDK 1.24 sets its 128 MB default under a key gRPC ignores, leaving 4 MB: large histories
      // (replay, retry) would fail with RESOURCE_EXHAUSTED.
      channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
    });
  } catch (error) {
    const hint = config.external.temporal
      ? 'check TEMPORAL_ADDRESS, TEMPORAL_PROFILE and the TEMPORAL_TLS_* / TEMPORAL_API_KEY settings'
      : 'run "npx chassis dev up" to start the local stack, or set TEMPORAL_ADDRESS';
    throw new CliError(`cannot reach Temporal at ${config.temporal.address} (${(error as Error).message}): ${hint}`);
  }
  // The same codec chain as the workers, so large (claim-checked) or encrypted payloads read back.
  const mongo =
    config.codec.claimCheckThresholdBytes === undefined
      ? undefined
      : new MongoClient(config.mongo.uri, mongoClientOptions(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 }));
  const dataConverter = createDataConverter({
    db: mongo?.db(config.mongo.database),
    claimCheckThresholdBytes: config.codec.claimCheckThresholdBytes,
    keyring: config.codec.keyring,
  });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  return {
    client,
    close: async () => {
      await connection.close();
      await mongo?.close();
    },
  };
}

/** Link to a workflow's page in the Temporal Web UI. */
export function workflowUiUrl(config: ChassisConfig, workflowId: string, runId?: string): string {
  const base = `${config.temporal.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId === undefined ? base : `${base}/${runId}/history`;
}
