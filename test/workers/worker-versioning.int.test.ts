import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTask } from '../../src/client/task-client';
import { loadConfig } from '../../src/config/load-config';
import { clientConnectionOptions, nativeConnectionOptions } from '../../src/config/temporal-connection';
import { loadScriptFile, startScriptedModelServer, type ScriptedModelServer } from '../../src/testing/scripted-model';
import { scriptedGateway } from '../../src/testing/scripted-stack';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { bundleWorkflows } from '../../src/workers/bundle-workflows';
import { DEMO_GOAL, DEMO_SCRIPT_PATH } from '../../src/client/offline/demo-goal';
import { createWorkers, type ChassisWorkers } from '../../src/workers/create-workers';
import { installWorkerRuntime } from '../../src/workers/install-runtime';
import { loadWorkerSettings } from '../../src/config/worker-settings';

jest.setTimeout(240_000);

/** temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED */
const PINNED = 1;

/**
 * Workers started with CHASSIS_BUILD_ID join a Worker Deployment Version on the dev server;
 * once that version is current, a task runs on it and is pinned to it.
 */
describe('worker versioning (Worker Deployments)', () => {
  const config = loadConfig();
  const deploymentName = `chassis-test-${randomUUID().slice(0, 8)}`;
  const taskQueue = `test-versioning-${randomUUID()}`;
  let bundle: WorkflowBundleWithSourceMap;
  let model: ScriptedModelServer;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let workers: ChassisWorkers | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    installWorkerRuntime('WARN');
    bundle = await bundleWorkflows();
    model = await startScriptedModelServer({ script: await loadScriptFile(DEMO_SCRIPT_PATH), log: () => undefined });
    nativeConnection = await NativeConnection.connect(nativeConnectionOptions(config.temporal.connection));
    connection = await Connection.connect(clientConnectionOptions(config.temporal.connection));
  });

  afterAll(async () => {
    workers?.shutdown();
    await running;
    await nativeConnection?.close();
    await connection?.close();
    await model?.close();
  });

  test('a task runs on the current version and is pinned to its build', async () => {
    const settings = loadWorkerSettings({ CHASSIS_BUILD_ID: 'b1', CHASSIS_DEPLOYMENT_NAME: deploymentName });
    workers = await createWorkers({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      dependencies: { models: scriptedGateway(model), tools: new ToolRegistry(builtInTools()) },
      workflowBundle: bundle,
      versioning: settings.versioning,
    });
    running = workers.run();

    // The version exists once the server has seen both task queues polled; then it can be made current.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await connection.workflowService.setWorkerDeploymentCurrentVersion({
          namespace: config.temporal.namespace,
          deploymentName,
          buildId: 'b1',
          identity: 'worker-versioning test',
        });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

    const client = new Client({ connection, namespace: config.temporal.namespace });
    const handle = await startTask(client, { goal: DEMO_GOAL }, { taskQueue });
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.answer).toContain('409.5');

    const description = await handle.describe();
    const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
    expect(versioning?.behavior).toBe(PINNED);
    expect(versioning?.deploymentVersion?.deploymentName).toBe(deploymentName);
    expect(versioning?.deploymentVersion?.buildId).toBe('b1');
  });
});
