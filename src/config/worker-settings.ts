import { ConfigError } from './config-error';
import { integerSetting } from './integer-setting';
import { loadWorkerTuning, type WorkerTuning } from './worker-tuning';
import { settingValue } from './setting-value';

/** Worker versioning (Temporal Worker Deployments): on only when `CHASSIS_BUILD_ID` is set. */
export interface WorkerVersioning {
  /** `CHASSIS_DEPLOYMENT_NAME`. @default 'chassis' */
  deploymentName: string;
  /** `CHASSIS_BUILD_ID`: the code's version, e.g. a git commit or image tag. */
  buildId: string;
  /**
   * `CHASSIS_VERSIONING_BEHAVIOR`: `pinned` keeps every workflow on the version it started on
   * until it ends (agent tasks and subtasks are short); `auto-upgrade` moves running workflows
   * to the new current version (their code must then replay, behind `patched()`).
   * @default 'PINNED'
   */
  defaultBehavior: 'PINNED' | 'AUTO_UPGRADE';
}

/** Settings of a worker process, read once at start-up. */
export interface WorkerSettings {
  /**
   * `CHASSIS_SHUTDOWN_GRACE_MS`: after SIGTERM or Ctrl-C, how long activities in flight may
   * finish before they are cancelled and left to the server's retry. @default 15000
   */
  shutdownGraceMs: number;
  /** @default undefined: unversioned workers, as in local development */
  versioning: WorkerVersioning | undefined;
  /** `CHASSIS_METRICS_PORT` (and `CHASSIS_METRICS_HOST`, default 127.0.0.1): the Prometheus endpoint. @default off */
  metrics: { host: string; port: number } | undefined;
  /** Pollers, workflow-task slots and the sticky cache (`worker-tuning.ts`). @default the benchmarked defaults */
  tuning: WorkerTuning;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 15_000;
/** Above an hour the orchestrator (Kubernetes' terminationGracePeriodSeconds) will have killed the process anyway. */
const MAXIMUM_SHUTDOWN_GRACE_MS = 3_600_000;

/**
 * Reads the worker settings: `CHASSIS_SHUTDOWN_GRACE_MS`, `CHASSIS_BUILD_ID`,
 * `CHASSIS_DEPLOYMENT_NAME`, `CHASSIS_VERSIONING_BEHAVIOR`, `CHASSIS_METRICS_PORT`,
 * `CHASSIS_METRICS_HOST`, and the tuning variables of {@link loadWorkerTuning}.
 *
 * @throws {ConfigError} naming the bad variable and what to do
 */
export function loadWorkerSettings(environment: Record<string, string | undefined> = process.env): WorkerSettings {
  const value = (name: string) => settingValue(environment, name);
  const grace = value('CHASSIS_SHUTDOWN_GRACE_MS');
  const buildId = value('CHASSIS_BUILD_ID');
  const deploymentName = value('CHASSIS_DEPLOYMENT_NAME');
  const behavior = value('CHASSIS_VERSIONING_BEHAVIOR');
  if (buildId === undefined && (deploymentName !== undefined || behavior !== undefined)) {
    throw new ConfigError(
      'CHASSIS_DEPLOYMENT_NAME or CHASSIS_VERSIONING_BEHAVIOR is set without CHASSIS_BUILD_ID: set CHASSIS_BUILD_ID (e.g. the image tag) to turn worker versioning on, or unset them',
    );
  }
  for (const [name, text] of [
    ['CHASSIS_BUILD_ID', buildId],
    ['CHASSIS_DEPLOYMENT_NAME', deploymentName],
  ] as const) {
    // The server joins them as "<deployment>.<build id>": a dot in the deployment name would be ambiguous.
    const pattern = name === 'CHASSIS_BUILD_ID' ? /^[A-Za-z0-9_.:+-]{1,255}$/ : /^[A-Za-z0-9_:+-]{1,255}$/;
    if (text !== undefined && !pattern.test(text)) {
      throw new ConfigError(
        `${name} is invalid: ${JSON.stringify(text)} (use letters, digits and ${name === 'CHASSIS_BUILD_ID' ? '_ . : + -' : '_ : + - (no dot)'}, e.g. ${name === 'CHASSIS_BUILD_ID' ? 'v1.4.0 or a git commit' : 'chassis'})`,
      );
    }
  }
  let defaultBehavior: WorkerVersioning['defaultBehavior'] = 'PINNED';
  if (behavior !== undefined) {
    if (!/^(pinned|auto-upgrade)$/i.test(behavior)) {
      throw new ConfigError(
        `CHASSIS_VERSIONING_BEHAVIOR is invalid: ${JSON.stringify(behavior)} (use "pinned" or "auto-upgrade")`,
      );
    }
    defaultBehavior = behavior.toLowerCase() === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE';
  }
  const port = value('CHASSIS_METRICS_PORT');
  const host = value('CHASSIS_METRICS_HOST');
  if (host !== undefined && port === undefined) {
    throw new ConfigError('CHASSIS_METRICS_HOST is set without CHASSIS_METRICS_PORT: set the port to serve metrics');
  }
  if (host !== undefined && !/^[A-Za-z0-9.:[\]-]+$/.test(host)) {
    throw new ConfigError(
      `CHASSIS_METRICS_HOST is invalid: ${JSON.stringify(host)} (an address, e.g. 0.0.0.0 or 127.0.0.1)`,
    );
  }
  return {
    shutdownGraceMs:
      grace === undefined
        ? DEFAULT_SHUTDOWN_GRACE_MS
        : integerSetting('CHASSIS_SHUTDOWN_GRACE_MS', grace, 0, MAXIMUM_SHUTDOWN_GRACE_MS, '30000'),
    versioning:
      buildId === undefined ? undefined : { deploymentName: deploymentName ?? 'chassis', buildId, defaultBehavior },
    metrics:
      port === undefined
        ? undefined
        : { host: host ?? '127.0.0.1', port: integerSetting('CHASSIS_METRICS_PORT', port, 1, 65_535, '9464') },
    tuning: loadWorkerTuning(environment),
  };
}
