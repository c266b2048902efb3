import { randomUUID } from 'node:crypto';
import { startTask } from '../../src/client/task-client';
import { loadConfig } from '../../src/config/load-config';
import { loadScriptFile } from '../../src/testing/scripted-model';
import { DEMO_GOAL, DEMO_SCRIPT_PATH } from '../../src/client/offline/demo-goal';
import { loadWorkerSettings } from '../../src/config/worker-settings';
import { useScriptedStack } from '../support/scripted-stack';

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
  const scripted = useScriptedStack({ script: () => loadScriptFile(DEMO_SCRIPT_PATH), stack: false });

  test('a task runs on the current version and is pinned to its build', async () => {
    const settings = loadWorkerSettings({ CHASSIS_BUILD_ID: 'b1', CHASSIS_DEPLOYMENT_NAME: deploymentName });
    const stack = await scripted.startStack({
      taskQueuePrefix: 'test-versioning',
      workers: { versioning: settings.versioning },
    });

    // The version exists once the server has seen both task queues polled; then it can be made current.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await stack.client.connection.workflowService.setWorkerDeploymentCurrentVersion({
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

    const handle = await startTask(stack.client, { goal: DEMO_GOAL }, { taskQueue: stack.taskQueue });
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
