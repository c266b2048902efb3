import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/contracts/search-attributes';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/stack/temporal-dynamic-config';

/** The parts of docker-compose.yml this test reads. */
interface ComposeFile {
  services: Record<string, { image: string; command?: string[]; ports?: string[]; healthcheck?: { test: string[] } }>;
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
    expect(Object.keys(compose.services).sort()).toEqual(['mongodb', 'temporal']);
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
});
