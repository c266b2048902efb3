import path from 'node:path';
import type { ChassisConfig } from '../config/load-config';
import { maskSecrets, maskUri, secretValuesFromEnvironment } from '../config/mask-secrets';
import { SEARCH_ATTRIBUTE_TYPES } from '../contracts/search-attributes';
import type { HostPort } from './addresses';
import { mongoHostPort, parseHostPort, urlPort, formatHostPort } from './addresses';
import type { BinaryOptions } from './binaries';
import { ensureFerretDb, ensureTemporalCli, FERRETDB_BINARY_NAME } from './binaries';
import type { ProbeResult } from './health';
import { probeMongo, probeTemporal } from './health';
import type { ProcessIdentity } from './processes';
import { registerSearchAttributes } from './register-search-attributes';
import {
  DEV_SERVER_DYNAMIC_CONFIG,
  DEV_SERVER_SQLITE_PRAGMAS,
  dynamicConfigArguments,
  sqlitePragmaArguments,
} from './temporal-dynamic-config';

/** The two services of the local stack. */
export type ServiceName = 'temporal' | 'mongo';

/** Everything the stack needs to know to check, start and stop one service. */
export interface ServiceDefinition {
  name: ServiceName;
  /** A human name for messages. */
  label: string;
  /** What any server of this kind is called, for messages about servers we did not start. */
  kind: string;
  /** The address clients use (`TEMPORAL_ADDRESS` or `MONGODB_URI`). */
  address: string;
  /** Where a local server listens. */
  listenAddress: HostPort;
  /** True when the user pointed at their own server: nothing is started or stopped. */
  external: boolean;
  /** The variable that points at an external server, for messages. */
  variable: 'TEMPORAL_ADDRESS' | 'MONGODB_URI';
  uiUrl?: string;
  /** Pid file name and the command line that proves a pid is still ours. */
  identity: ProcessIdentity;
  probe: (timeoutMs: number) => Promise<ProbeResult>;
  /** Builds the binary if needed and returns the command line to start the server. */
  prepare: (options: BinaryOptions) => Promise<{ command: string; arguments: string[] }>;
  /** How long a fresh server may take to answer. */
  startTimeoutMs: number;
  /** Work to do once the server answers, whoever started it. */
  afterHealthy?: () => Promise<string | undefined>;
}

/** Options of {@link temporalService}. */
export interface TemporalServiceOptions {
  /**
   * Dynamic configuration values, merged over the project's (benchmarks compare settings).
   * @default {@link DEV_SERVER_DYNAMIC_CONFIG}
   */
  dynamicConfig?: Readonly<Record<string, boolean | number | string>>;
}

/** The Temporal dev server (`temporal server start-dev`) with a SQLite file under the home. */
export function temporalService(config: ChassisConfig, serviceOptions: TemporalServiceOptions = {}): ServiceDefinition {
  const { address, namespace, uiUrl } = config.temporal;
  const dynamicConfig = { ...DEV_SERVER_DYNAMIC_CONFIG, ...serviceOptions.dynamicConfig };
  const listenAddress = parseHostPort(address);
  const databaseFile = path.join(config.home, 'data', 'temporal.db');
  return {
    name: 'temporal',
    label: 'Temporal dev server',
    kind: 'Temporal server',
    address,
    listenAddress,
    external: config.external.temporal,
    variable: 'TEMPORAL_ADDRESS',
    uiUrl,
    identity: { name: 'temporal', home: config.home, commandLineIncludes: ['temporal', databaseFile] },
    probe: (timeoutMs) => probeTemporal(address, namespace, timeoutMs),
    prepare: async (options) => ({
      command: await ensureTemporalCli(options),
      arguments: [
        'server',
        'start-dev',
        '--ip',
        listenAddress.host,
        '--port',
        String(listenAddress.port),
        '--ui-port',
        String(urlPort(uiUrl)),
        '--db-filename',
        databaseFile,
        ...sqlitePragmaArguments(DEV_SERVER_SQLITE_PRAGMAS),
        '--log-level',
        'warn',
        // The CLI always creates "default"; naming it again would create it twice.
        ...(namespace === 'default' ? [] : ['--namespace', namespace]),
        ...Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        // Server 1.29 enables updates, Nexus, eager workflow start and multi-operations by
        // default; these values are for latency on a one-shard server (see the module).
        ...dynamicConfigArguments(dynamicConfig),
      ],
    }),
    // A first start creates the SQLite schema; a cold machine takes a while.
    startTimeoutMs: 90_000,
    afterHealthy: async () => {
      const added = await registerSearchAttributes(address, namespace);
      return added.length === 0 ? undefined : `registered search attributes ${added.join(', ')}`;
    },
  };
}

function secretsOf(uri: string): string[] {
  return secretValuesFromEnvironment({ MONGODB_URI: uri });
}

/** FerretDB (a MongoDB-wire server) with its SQLite handler, data under the home. */
export function mongoService(config: ChassisConfig): ServiceDefinition {
  const { uri } = config.mongo;
  const dataDirectory = path.join(config.home, 'data', 'ferretdb');
  // Only computed for a local server: an external mongodb+srv:// URI has no host:port.
  const listenAddress = config.external.mongo ? { host: '', port: 0 } : mongoHostPort(uri);
  return {
    name: 'mongo',
    label: 'MongoDB-wire server (FerretDB)',
    kind: 'MongoDB server',
    // Masked: an external URI may carry a password, and the status is printed.
    address: config.external.mongo ? maskUri(uri) : formatHostPort(listenAddress),
    listenAddress,
    external: config.external.mongo,
    variable: 'MONGODB_URI',
    identity: { name: 'ferretdb', home: config.home, commandLineIncludes: [FERRETDB_BINARY_NAME, dataDirectory] },
    probe: async (timeoutMs) => {
      const result = await probeMongo(uri, timeoutMs, config.external.mongo ? undefined : listenAddress);
      // The driver's reasons can quote the URI; status lines and errors print them.
      return result.healthy ? result : { ...result, reason: maskSecrets(result.reason, secretsOf(uri)) };
    },
    prepare: async (options) => ({
      command: await ensureFerretDb(options),
      arguments: ['--listen-addr', formatHostPort(listenAddress), '--data-dir', dataDirectory, '--log-level', 'warn'],
    }),
    startTimeoutMs: 30_000,
  };
}
