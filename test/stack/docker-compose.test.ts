import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/contracts/search-attributes';
import { DEV_SERVER_DYNAMIC_CONFIG, DEV_SERVER_SQLITE_PRAGMAS } from '../../src/stack/temporal-dynamic-config';

/** The parts of docker-compose.yml this test reads. */
interface ComposeService {
  image: string;
  command?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
  build?: string;
  init?: boolean;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  expose?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

// Docker cannot run here, so this test keeps the file honest: the services, the published
// ports and the search attributes must match what the Docker-less stack provides.
const compose = parse(fs.readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8')) as ComposeFile;

function service(name: string): ComposeFile['services'][string] {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

describe('docker-compose.yml', () => {
  it('runs the Temporal dev server and MongoDB Atlas Local, each with a health check', () => {
    // The worker is behind a profile: a plain "docker compose up" starts the two servers only.
    const byDefault = Object.entries(compose.services).filter(([, definition]) => definition.profiles === undefined);
    expect(byDefault.map(([name]) => name).sort()).toEqual(['mongodb', 'temporal']);
    expect(service('temporal').image).toMatch(/^temporalio\/temporal:\d+\.\d+\.\d+$/);
    expect(service('temporal').command?.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(service('mongodb').image).toMatch(/^mongodb\/mongodb-atlas-local:/);
    expect(service('temporal').healthcheck?.test.length).toBeGreaterThan(1);
    expect(service('mongodb').healthcheck?.test.length).toBeGreaterThan(1);
  });

  it('publishes the ports the default config connects to', () => {
    expect(service('temporal').ports).toEqual(expect.arrayContaining(['7233:7233', '8233:8233']));
    expect(service('mongodb').ports).toEqual(['27017:27017']);
  });

  it('registers exactly the search attributes of SEARCH_ATTRIBUTE_TYPES', () => {
    const command = service('temporal').command ?? [];
    const registered = Object.fromEntries(
      command.flatMap((word, index) => {
        if (word !== '--search-attribute') return [];
        const [name, type] = (command[index + 1] ?? '').split('=');
        return [[name, type]];
      }),
    );
    expect(registered).toEqual(SEARCH_ATTRIBUTE_TYPES);
  });

  it('runs a worker from the Dockerfile (profile "worker") once both servers are healthy', () => {
    const worker = service('worker');
    expect(worker.profiles).toEqual(['worker']);
    expect(worker.build).toBe('.');
    expect(fs.existsSync(path.join(__dirname, '../../Dockerfile'))).toBe(true);
    // Node as PID 1 ignores signals it has no handler for; an init forwards SIGTERM.
    expect(worker.init).toBe(true);
    expect(worker.depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      mongodb: { condition: 'service_healthy' },
    });
    const environment = worker.environment ?? {};
    // Inside the compose network the servers are reached by service name and container port.
    expect(environment.TEMPORAL_ADDRESS).toBe(`temporal:${service('temporal').ports?.[0]?.split(':')[1]}`);
    expect(environment.MONGODB_URI).toMatch(/^mongodb:\/\/mongodb:27017\/\?directConnection=true$/);
    // Metrics are served on every interface of the container, on the port it exposes.
    expect(environment.CHASSIS_METRICS_HOST).toBe('0.0.0.0');
    expect(worker.expose).toEqual([environment.CHASSIS_METRICS_PORT]);
    // Docker waits longer than the worker's drain before it kills the container.
    const graceMs = Number(environment.CHASSIS_SHUTDOWN_GRACE_MS);
    const stopSeconds = Number(/^(\d+)s$/.exec(worker.stop_grace_period ?? '')?.[1]);
    expect(graceMs).toBeGreaterThan(0);
    expect(stopSeconds * 1000).toBeGreaterThan(graceMs);
  });

  it("the worker's environment passes config validation", () => {
    const environment = Object.fromEntries(
      Object.entries(service('worker').environment ?? {}).map(([name, value]) => [
        name,
        // "${NAME:-}" is empty when the host does not set NAME.
        value.replace(/^\$\{[A-Z_]+:-\}$/, ''),
      ]),
    );
    const config = loadConfig(environment, '/app');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.worker.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.worker.versioning).toBeUndefined();
  });

  it('sets exactly the dynamic configuration of DEV_SERVER_DYNAMIC_CONFIG', () => {
    const command = service('temporal').command ?? [];
    const values = Object.fromEntries(
      command.flatMap((word, index) => {
        if (word !== '--dynamic-config-value') return [];
        const [key, value] = (command[index + 1] ?? '').split('=');
        return [[key, JSON.parse(value ?? 'null') as unknown]];
      }),
    );
    expect(values).toEqual(DEV_SERVER_DYNAMIC_CONFIG);
  });

  it('sets exactly the SQLite pragmas of DEV_SERVER_SQLITE_PRAGMAS', () => {
    const command = service('temporal').command ?? [];
    const pragmas = Object.fromEntries(
      command.flatMap((word, index) => (word === '--sqlite-pragma' ? [(command[index + 1] ?? '').split('=')] : [])),
    );
    expect(pragmas).toEqual(DEV_SERVER_SQLITE_PRAGMAS);
  });
});
