import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { createDataConverter } from '../codec/data-converter';
import { PayloadKeyring } from '../codec/encryption-keys';
import type { ChassisConfig } from '../config/load-config';
import { clientConnectionOptions } from '../config/temporal-connection';
import { startTracing } from '../observability/tracing';
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
    throw new CliError(
      `cannot reach Temporal at ${config.temporal.address} (${connectFailure(error)}): ${connectHint(config, error)}`,
    );
  }
  // The same codec chain as the workers, so large (claim-checked) or encrypted payloads read back.
  const mongo =
    config.codec.claimCheckThresholdBytes === undefined
      ? undefined
      : new MongoClient(config.mongo.uri, mongoClientOptions(config.mongo.uri, { serverSelectionTimeoutMS: 5_000 }));
  const dataConverter = createDataConverter({
    db: mongo?.db(config.mongo.database),
    claimCheckThresholdBytes: config.codec.claimCheckThresholdBytes,
    keyring: PayloadKeyring.of(config.codec.payloadKeys),
  });
  // With tracing on, each workflow start (and signal, query, update) is the root span of its trace.
  const tracing = config.tracing === undefined ? undefined : startTracing(config.tracing, 'chassis-cli');
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter,
    ...(tracing === undefined ? {} : { interceptors: { workflow: tracing.clientInterceptors() } }),
  });
  return {
    client,
    close: async () => {
      await connection.close();
      await mongo?.close();
      await tracing?.shutdown().catch(() => undefined);
    },
  };
}

/** gRPC status codes of a refused credential. */
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

/** The gRPC status (code and details) somewhere in an error's cause chain. */
function grpcStatus(error: unknown): { code: number; details: string } | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const { code, details } = current as { code?: unknown; details?: unknown };
    if (typeof code === 'number' && typeof details === 'string') return { code, details };
    current = current.cause;
  }
  return undefined;
}

/** What went wrong, in one line: the server's own words when it refused the call. */
function connectFailure(error: unknown): string {
  const status = grpcStatus(error);
  const message = status?.details ?? (error as Error).message;
  return message.split('\n')[0] ?? '';
}

function connectHint(config: ChassisConfig, error: unknown): string {
  const code = grpcStatus(error)?.code;
  if (code === UNAUTHENTICATED || code === PERMISSION_DENIED) {
    return 'the server refused the credentials: check TEMPORAL_API_KEY (or the client certificate) and TEMPORAL_NAMESPACE';
  }
  return config.external.temporal
    ? 'check TEMPORAL_ADDRESS, TEMPORAL_PROFILE and the TEMPORAL_TLS_* / TEMPORAL_API_KEY settings'
    : 'run "npx chassis dev up" to start the local stack, or set TEMPORAL_ADDRESS';
}

/** Link to a workflow's page in the Temporal Web UI. */
export function workflowUiUrl(config: ChassisConfig, workflowId: string, runId?: string): string {
  const base = `${config.temporal.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId === undefined ? base : `${base}/${runId}/history`;
}
