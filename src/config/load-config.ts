import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../contracts/task-queues';
import { loadCodecSettings, type CodecSettings } from './codec-settings';
import { ConfigError } from './config-error';
import { loadEventSettings, type EventSettings } from './event-settings';
import { isSecretVariableName, MASK, maskSecrets, maskUri, secretValuesFromEnvironment } from './mask-secrets';
import { parseMcpServersConfig } from './mcp-servers';
import { payloadKeyIds } from './payload-keys';
import { loadMemorySettings, type MemorySettings } from './memory-settings';
import { loadTemporalConnection, type TemporalConnectionSettings } from './temporal-connection';
import { loadRetentionSettings, type RetentionSettings } from './retention-settings';
import { parseAllowPrivateAddresses, type PrivateAddressAllowance, type ToolsSettings } from './tools-settings';
import { loadTracingSettings, type TracingSettings } from './tracing-settings';
import { loadWorkerSettings, type WorkerSettings } from './worker-settings';

/** The validated configuration of every Chassis process. */
export interface ChassisConfig {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    /** TLS, API key, gRPC headers and profile: how to connect (see `temporal-connection.ts`). */
    connection: TemporalConnectionSettings;
  };
  mongo: { uri: string; database: string };
  openai: {
    /** Never logged: use {@link describeConfig} to print a config. */
    apiKey: string | undefined;
    baseUrl: string | undefined;
    /** Timeout of one HTTP call to the provider; kept below the activity's timeout. */
    timeoutMs: number;
  };
  /** `pinned`: every call goes to this model; unset: calls are routed by the model catalog. */
  models: { pinned: string | undefined; catalogPath: string | undefined };
  agent: { maxSteps: number };
  tools: ToolsSettings;
  memory: MemorySettings;
  /** Payload codecs: claim check (large payloads to MongoDB) and encryption. */
  codec: CodecSettings;
  /** Shutdown grace time, worker versioning and the metrics endpoint of `chassis worker`. */
  worker: WorkerSettings;
  /** OpenTelemetry trace export (`OTEL_*` variables); undefined when off, the default. */
  tracing: TracingSettings | undefined;
  /** Task event streams (`CHASSIS_EVENT_RETENTION_HOURS`). */
  events: EventSettings;
  /** How long traces of past work are kept and how often they are swept (`CHASSIS_RETENTION_*`). */
  retention: RetentionSettings;
  /**
   * How infrastructure outages are waited out. `outageBudgetMs`: how long one tool call waits
   * inside its activity for MongoDB (ledger, stored outputs), heartbeating, before it fails
   * with `Infra.Unavailable` for the engine to retry.
   */
  resilience: { outageBudgetMs: number };
  /** Folder for local state: pid files, logs, databases. */
  home: string;
  /** True when `TEMPORAL_ADDRESS` / `MONGODB_URI` were given, so nothing is started locally. */
  external: { temporal: boolean; mongo: boolean };
}

const hostPort = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

function mongoUri(value: string, context: z.RefinementCtx): void {
  if (!/^mongodb(\+srv)?:\/\//.test(value)) {
    context.addIssue({ code: 'custom', message: 'must start with mongodb:// or mongodb+srv://' });
    return;
  }
  try {
    new URL(value.replace(/^mongodb(\+srv)?:/, 'http:'));
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
}

const environmentSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(hostPort, 'must be host:port, e.g. 127.0.0.1:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  TEMPORAL_UI_URL: z.url().optional(),
  CHASSIS_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  MONGODB_URI: z.string().superRefine(mongoUri).optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[^/\\. "$]{1,63}$/, 'must be a MongoDB database name (no / \\ . " $ or spaces)')
    .default('chassis'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  CHASSIS_MODEL: z.string().min(1).optional(),
  CHASSIS_MODEL_CATALOG: z.string().min(1).optional(),
  CHASSIS_MAX_STEPS: z.coerce.number().int().min(1).max(100).default(8),
  CHASSIS_HOME: z.string().min(1).optional(),
  CHASSIS_WORKSPACE_DIR: z.string().min(1).optional(),
  CHASSIS_HTTP_ALLOWED_HOSTS: z
    .string()
    .regex(
      /^[A-Za-z0-9.*:-]+(,[A-Za-z0-9.*:-]+)*$/,
      'must be comma-separated hosts, e.g. "example.com,*.wikipedia.org"',
    )
    .optional(),
  CHASSIS_HTTP_ALLOW_PRIVATE: z.string().superRefine(allowPrivate).optional(),
  CHASSIS_MCP_SERVERS: z.string().optional(),
  // A realistic outage lasts minutes; above an hour a stuck call is better failed and resumed.
  CHASSIS_OUTAGE_BUDGET_MS: z.coerce
    .number()
    .int('must be a whole number of milliseconds')
    .min(1_000, 'must be at least 1000 (1 s)')
    .max(3_600_000, 'must be at most 3600000 (1 hour)')
    .default(300_000),
});

function allowPrivate(value: string, context: z.RefinementCtx): void {
  try {
    parseAllowPrivateAddresses(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
}

/** How a bad value is shown in an error: never a secret variable's, URIs without their credentials. */
function shownValue(name: string, value: string | undefined, secrets: string[]): string {
  if (value === undefined) return '';
  if (isSecretVariableName(name)) return '';
  return `: ${JSON.stringify(name === 'MONGODB_URI' ? maskUri(value) : maskSecrets(value, secrets))}`;
}

/**
 * Reads and validates the environment once, at start-up. Throws a {@link ConfigError}
 * whose message names every bad variable and what to do, without echoing secret values.
 */
export function loadConfig(
  environment: Record<string, string | undefined> = process.env,
  projectRoot: string = process.cwd(),
): ChassisConfig {
  // Empty strings mean "unset" (a common shell idiom: `OPENAI_API_KEY= chassis run ...`).
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const secrets = secretValuesFromEnvironment(cleaned);
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = shownValue(name, cleaned[name], secrets);
      const verb = name === 'MONGODB_URI' ? 'is not a valid mongodb:// URI' : 'is invalid';
      return `${name} ${verb}${shown} (${maskSecrets(issue.message, secrets)})`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const env = parsed.data;
  let mcpServers;
  try {
    mcpServers = env.CHASSIS_MCP_SERVERS === undefined ? [] : parseMcpServersConfig(env.CHASSIS_MCP_SERVERS);
  } catch (error) {
    // A JSON syntax error quotes the text around it, which may hold a server's token.
    const message = maskSecrets((error as Error).message, secretValuesFromEnvironment(cleaned));
    throw new ConfigError(`CHASSIS_MCP_SERVERS is invalid: ${message}`);
  }
  const home = env.CHASSIS_HOME ?? `${projectRoot}/.chassis`;
  const connection = loadTemporalConnection(cleaned);
  return {
    temporal: {
      address: connection.address,
      namespace: connection.namespace,
      taskQueue: env.CHASSIS_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL ?? 'http://localhost:8233',
      connection,
    },
    mongo: { uri: env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/', database: env.MONGODB_DB },
    openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, timeoutMs: env.OPENAI_TIMEOUT_MS },
    models: { pinned: env.CHASSIS_MODEL, catalogPath: env.CHASSIS_MODEL_CATALOG },
    agent: { maxSteps: env.CHASSIS_MAX_STEPS },
    memory: loadMemorySettings(environment),
    codec: loadCodecSettings(environment),
    worker: loadWorkerSettings(environment),
    tracing: loadTracingSettings(environment),
    events: loadEventSettings(environment),
    retention: loadRetentionSettings(environment),
    resilience: { outageBudgetMs: env.CHASSIS_OUTAGE_BUDGET_MS },
    tools: {
      workspaceDir: env.CHASSIS_WORKSPACE_DIR,
      httpAllowedHosts: env.CHASSIS_HTTP_ALLOWED_HOSTS?.split(','),
      ...httpPolicy(env.CHASSIS_HTTP_ALLOW_PRIVATE),
      mcpServers,
    },
    home,
    external: { temporal: connection.external, mongo: env.MONGODB_URI !== undefined },
  };
}

/** True when neither a key nor a base URL is set: the offline, scripted model is used. */
export function usesScriptedModel(config: ChassisConfig): boolean {
  return config.openai.apiKey === undefined && config.openai.baseUrl === undefined;
}

function httpPolicy(allowPrivateValue: string | undefined): Pick<ToolsSettings, 'http'> {
  if (allowPrivateValue === undefined) return {};
  const allowPrivateAddresses: PrivateAddressAllowance = parseAllowPrivateAddresses(allowPrivateValue);
  return { http: { allowPrivateAddresses } };
}

/**
 * A printable copy of the config: URIs without credentials, no API key, no payload key (only
 * key ids), no codec-server token, no MCP server environment values.
 */
export function describeConfig(config: ChassisConfig): Record<string, unknown> {
  const masked = (value: string | undefined) => (value === undefined ? undefined : MASK);
  return {
    ...config,
    temporal: {
      ...config.temporal,
      uiUrl: maskUri(config.temporal.uiUrl),
      connection: describeConnection(config.temporal.connection),
    },
    mongo: { ...config.mongo, uri: maskUri(config.mongo.uri) },
    openai: {
      ...config.openai,
      apiKey: masked(config.openai.apiKey),
      baseUrl: config.openai.baseUrl === undefined ? undefined : maskUri(config.openai.baseUrl),
    },
    codec: {
      claimCheckThresholdBytes: config.codec.claimCheckThresholdBytes,
      encryptionKeyIds: payloadKeyIds(config.codec.payloadKeys),
      codecServerToken: masked(config.codec.codecServerToken),
    },
    tools: {
      ...config.tools,
      mcpServers: config.tools.mcpServers?.map((server) => ({
        ...server,
        args: server.args.map((argument) => maskSecrets(argument)),
        env:
          server.env === undefined
            ? undefined
            : Object.fromEntries(Object.keys(server.env).map((name) => [name, MASK])),
      })),
    },
  };
}

/** The connection settings without the API key, certificate bytes or header values. */
function describeConnection(connection: TemporalConnectionSettings): Record<string, unknown> {
  const tls = connection.tls;
  return {
    address: connection.address,
    namespace: connection.namespace,
    profile: connection.profile,
    apiKey: connection.apiKey === undefined ? undefined : MASK,
    tls:
      typeof tls === 'object'
        ? {
            serverNameOverride: tls.serverNameOverride,
            serverRootCACertificate: tls.serverRootCACertificate === undefined ? undefined : 'set',
            clientCertPair: tls.clientCertPair === undefined ? undefined : 'set (key masked)',
          }
        : tls,
    metadata:
      connection.metadata === undefined
        ? undefined
        : Object.fromEntries(Object.keys(connection.metadata).map((name) => [name, MASK])),
  };
}
