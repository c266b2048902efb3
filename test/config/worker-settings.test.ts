import { configErrorMessage } from './support/config-error-message';
import { loadWorkerSettings } from '../../src/config/worker-settings';

const messageOf = (environment: Record<string, string>) => configErrorMessage(() => loadWorkerSettings(environment));

describe('loadWorkerSettings', () => {
  test('defaults: 15 s to drain, unversioned, no metrics endpoint (local development is unchanged)', () => {
    expect(loadWorkerSettings({})).toEqual({
      shutdownGraceMs: 15_000,
      versioning: undefined,
      metrics: undefined,
      tuning: {},
    });
  });

  test('reads the grace time, the version and the metrics endpoint', () => {
    expect(
      loadWorkerSettings({
        CHASSIS_SHUTDOWN_GRACE_MS: '45000',
        CHASSIS_BUILD_ID: 'v1.4.0+abc123',
        CHASSIS_DEPLOYMENT_NAME: 'agents',
        CHASSIS_VERSIONING_BEHAVIOR: 'auto-upgrade',
        CHASSIS_METRICS_PORT: '9464',
        CHASSIS_METRICS_HOST: '0.0.0.0',
      }),
    ).toEqual({
      shutdownGraceMs: 45_000,
      versioning: { deploymentName: 'agents', buildId: 'v1.4.0+abc123', defaultBehavior: 'AUTO_UPGRADE' },
      metrics: { host: '0.0.0.0', port: 9464 },
      tuning: {},
    });
    expect(loadWorkerSettings({ CHASSIS_BUILD_ID: 'b1' }).versioning).toEqual({
      deploymentName: 'chassis',
      buildId: 'b1',
      defaultBehavior: 'PINNED',
    });
    expect(loadWorkerSettings({ CHASSIS_METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  test('bad values are one-line errors naming the variable', () => {
    expect(messageOf({ CHASSIS_SHUTDOWN_GRACE_MS: '10s' })).toBe(
      'CHASSIS_SHUTDOWN_GRACE_MS is invalid: "10s" (must be an integer from 0 to 3600000, e.g. 30000)',
    );
    expect(messageOf({ CHASSIS_METRICS_PORT: '70000' })).toMatch(/^CHASSIS_METRICS_PORT is invalid: "70000"/);
    expect(messageOf({ CHASSIS_DEPLOYMENT_NAME: 'agents' })).toMatch(/without CHASSIS_BUILD_ID/);
    expect(messageOf({ CHASSIS_BUILD_ID: 'b1', CHASSIS_DEPLOYMENT_NAME: 'a.b' })).toMatch(
      /^CHASSIS_DEPLOYMENT_NAME is invalid: "a\.b" \(use letters, digits and _ : \+ - \(no dot\)/,
    );
    expect(messageOf({ CHASSIS_BUILD_ID: 'b1', CHASSIS_VERSIONING_BEHAVIOR: 'sticky' })).toMatch(
      /use "pinned" or "auto-upgrade"/,
    );
    expect(messageOf({ CHASSIS_METRICS_HOST: '0.0.0.0' })).toMatch(/without CHASSIS_METRICS_PORT/);
  });
});
