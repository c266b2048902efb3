import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectTemporal } from '../../src/client/connection';
import { startTask, waitForPollers } from '../../src/client/task-client';
import { CliError } from '../../src/client/cli-error';
import { loadConfig } from '../../src/config/load-config';
import { startWorker } from '../../src/workers/run-worker';
import { DEMO_GOAL } from '../../src/client/offline/demo-goal';
import { startOfflineModel } from '../../src/client/offline/offline-model';
import { openTestDatabase, type TestDatabase } from '../../src/testing/test-database';
import { startGrpcTlsProxy, type GrpcTlsProxy } from './support/grpc-tls-proxy';
import { generateTestCertificates, type TestCertificates } from './support/test-certificates';

jest.setTimeout(240_000);

/**
 * The CLI's client and a worker reach Temporal through a TLS-terminating proxy in front of
 * the local dev server: once with mTLS (certificates made here), once with an API key, each
 * configured only through Temporal's own environment variables.
 */
describe('Temporal over TLS, mTLS and API keys', () => {
  const upstream = loadConfig().temporal.address;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-tls-'));
  let certificates: TestCertificates;
  let database: TestDatabase;
  const proxies: GrpcTlsProxy[] = [];

  beforeAll(async () => {
    certificates = generateTestCertificates(folder);
    database = await openTestDatabase('tls');
  });

  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    await database?.drop();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  async function proxy(options: { mtls?: boolean; apiKey?: string }): Promise<GrpcTlsProxy> {
    const started = await startGrpcTlsProxy({
      upstream,
      certificate: fs.readFileSync(certificates.serverCertPath),
      key: fs.readFileSync(certificates.serverKeyPath),
      ...(options.mtls === true ? { clientCa: fs.readFileSync(certificates.caCertPath) } : {}),
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    });
    proxies.push(started);
    return started;
  }

  /** The environment a user would set, on top of the test's (the shared MongoDB, no model key). */
  function environment(extra: Record<string, string>): Record<string, string | undefined> {
    return {
      ...process.env,
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      MONGODB_DB: database.db.databaseName,
      CHASSIS_TASK_QUEUE: `test-tls-${path.basename(folder)}-${Object.keys(extra).length}-${Date.now()}`,
      // The proxy's certificate names localhost; it listens on 127.0.0.1.
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.caCertPath,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      ...extra,
    };
  }

  /** Starts a worker and runs the demo task with the CLI's client, both configured by `variables`. */
  async function runDemoTask(variables: Record<string, string | undefined>) {
    const config = loadConfig(variables);
    const worker = await startWorker(config, { log: () => undefined, startOfflineModel });
    try {
      await worker.ready;
      const session = await connectTemporal(config);
      try {
        expect(await waitForPollers(session.client, config.temporal.taskQueue, 60_000)).toBe(true);
        const handle = await startTask(session.client, { goal: DEMO_GOAL }, { taskQueue: config.temporal.taskQueue });
        return await handle.result();
      } finally {
        await session.close();
      }
    } finally {
      await worker.stop();
    }
  }

  test('mTLS: a task runs with a client certificate from the CA; none, or one from another CA, is refused', async () => {
    const mtls = await proxy({ mtls: true });
    const variables = environment({
      TEMPORAL_ADDRESS: mtls.address,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCertPath,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.clientKeyPath,
    });
    const result = await runDemoTask(variables);
    expect(result.status).toBe('completed');
    expect(result.answer).toContain('409.5');
    // Both the worker's native connection and the client presented the certificate.
    expect(new Set(mtls.clientNames)).toEqual(new Set(['chassis-worker']));
    expect(mtls.forwardedCalls()).toBeGreaterThan(5);

    const withoutCertificate = loadConfig(environment({ TEMPORAL_ADDRESS: mtls.address }));
    await expect(connectTemporal(withoutCertificate)).rejects.toThrow(CliError);
    const stranger = loadConfig(
      environment({
        TEMPORAL_ADDRESS: mtls.address,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.strangerCertPath,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.strangerKeyPath,
      }),
    );
    await expect(connectTemporal(stranger)).rejects.toThrow(/cannot reach Temporal at 127\.0\.0\.1:\d+/);
    expect(mtls.clientNames).not.toContain('stranger');
  });

  test('API key: every call carries "authorization: Bearer <key>"; a wrong key is refused without printing it', async () => {
    const apiKey = `test-api-key-${Date.now()}`;
    const gateway = await proxy({ apiKey });
    const result = await runDemoTask(environment({ TEMPORAL_ADDRESS: gateway.address, TEMPORAL_API_KEY: apiKey }));
    expect(result.status).toBe('completed');
    expect(result.answer).toContain('409.5');
    expect(gateway.authorizations.length).toBeGreaterThan(5);
    expect(new Set(gateway.authorizations)).toEqual(new Set([`Bearer ${apiKey}`]));

    const wrongKey = 'wrong-api-key-value';
    const refused = await connectTemporal(
      loadConfig(environment({ TEMPORAL_ADDRESS: gateway.address, TEMPORAL_API_KEY: wrongKey })),
    ).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(refused).toBeInstanceOf(CliError);
    expect(refused?.message).toMatch(/\(invalid API key\): the server refused the credentials: check TEMPORAL_API_KEY/);
    expect(refused?.message).not.toContain(wrongKey);
    expect(refused?.message.split('\n')).toHaveLength(1);
  });
});
