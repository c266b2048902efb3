import type { McpServerConfigInput } from '../../config/mcp-servers';
/** What a chaos worker process is pointed at. */
export interface ChaosWorkerTargets {
  temporalAddress: string;
  mongoUri: string;
  taskQueue: string;
  /** The worker's scripted model server (`…/v1`). */
  modelBaseUrl: string;
  /** The worker's HTTP timeout to the provider. */
  openaiTimeoutMs: number;
  /** The `CHASSIS_MCP_SERVERS` entries. */
  mcpServers: McpServerConfigInput[];
  /** `CHASSIS_HOME`: local state of the worker, inside the run folder. */
  home: string;
}

/** Database of the chaos runs on the private MongoDB. */
export const CHAOS_DATABASE = 'chaos';

/**
 * The whole environment of a chaos worker process. Only `PATH`, `HOME` and `TMPDIR` are
 * taken from `inherited`: a developer's `OPENAI_API_KEY`, `TEMPORAL_ADDRESS` or
 * `MONGODB_URI` must never reach a run that kills servers and talks to a scripted model.
 */
export function chaosWorkerEnvironment(
  targets: ChaosWorkerTargets,
  inherited: Record<string, string | undefined> = process.env,
): Record<string, string> {
  return {
    PATH: inherited.PATH ?? '/usr/bin:/bin',
    HOME: inherited.HOME ?? targets.home,
    ...(inherited.TMPDIR === undefined ? {} : { TMPDIR: inherited.TMPDIR }),
    TEMPORAL_ADDRESS: targets.temporalAddress,
    MONGODB_URI: targets.mongoUri,
    MONGODB_DB: CHAOS_DATABASE,
    CHASSIS_TASK_QUEUE: targets.taskQueue,
    CHASSIS_HOME: targets.home,
    OPENAI_BASE_URL: targets.modelBaseUrl,
    OPENAI_TIMEOUT_MS: String(targets.openaiTimeoutMs),
    // The scripted server's embeddings have 64 dimensions unless a request asks otherwise.
    CHASSIS_EMBEDDING_DIMENSIONS: '64',
    CHASSIS_MCP_SERVERS: JSON.stringify(targets.mcpServers),
  };
}
