import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runMockLlm } from '../../../src/testing/scripted-model';
import type { ScriptedModelServer } from '../../../src/testing/scripted-model';

describe('runMockLlm', () => {
  let folder: string;
  let server: ScriptedModelServer | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'chassis-mock-llm-'));
  });

  afterAll(async () => {
    await server?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('starts a server from a valid script file and says it is a test double', async () => {
    const scriptPath = join(folder, 'valid.json');
    await writeFile(scriptPath, JSON.stringify({ rules: [{ name: 'hello', reply: { content: 'hi' } }] }));
    const printed: string[] = [];
    server = await runMockLlm({ port: 0, scriptPath, print: (line) => printed.push(line) });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain(`scripted model server (a test double, not a model) listening on ${server.url}`);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('names the file and the bad path when the script is invalid', async () => {
    const scriptPath = join(folder, 'invalid.json');
    await writeFile(scriptPath, JSON.stringify({ rules: [{ name: 'empty', reply: {} }] }));
    await expect(runMockLlm({ port: 0, scriptPath })).rejects.toThrow(
      new RegExp(`^script ${scriptPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: rules\\[0\\]\\.reply: `),
    );
  });

  it('says when the file is missing or not JSON', async () => {
    await expect(runMockLlm({ port: 0, scriptPath: join(folder, 'missing.json') })).rejects.toThrow(/cannot be read/);
    const notJson = join(folder, 'not-json.json');
    await writeFile(notJson, '{ rules: ');
    await expect(runMockLlm({ port: 0, scriptPath: notJson })).rejects.toThrow(/is not JSON/);
  });
});
