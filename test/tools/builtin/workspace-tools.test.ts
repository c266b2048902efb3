import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtInTools } from '../../../src/tools/builtin';
import { ToolRegistry } from '../../../src/tools/registry';

let base: string;
let workspace: string;
let registry: ToolRegistry;
const context = { idempotencyKey: 'k', signal: new AbortController().signal, heartbeat: () => undefined };
const run = (name: string, args: unknown) =>
  registry.execute({ id: 'c', name, arguments: JSON.stringify(args) }, context);

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'chassis-workspace-tools-'));
  workspace = path.join(base, 'workspace');
  mkdirSync(path.join(base, 'outside'), { recursive: true });
  writeFileSync(path.join(base, 'outside', 'secret.txt'), 'secret');
  registry = new ToolRegistry(builtInTools({ workspaceDir: workspace }));
  mkdirSync(workspace, { recursive: true });
  symlinkSync(path.join(base, 'outside'), path.join(workspace, 'link-out'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('workspace tools', () => {
  test('write creates folders; append and create modes behave; read returns the text', async () => {
    expect(await run('workspace_write', { path: 'notes/plan.md', content: '# Plan\n' })).toMatchObject({
      ok: true,
      output: 'wrote 7 characters to notes/plan.md; it now has 7 bytes',
    });
    await run('workspace_write', { path: 'notes/plan.md', content: '- step\n', mode: 'append' });
    expect(await run('workspace_read', { path: 'notes/plan.md' })).toMatchObject({
      ok: true,
      output: '# Plan\n- step\n',
    });
    expect(await run('workspace_read', { path: 'notes/plan.md', offset: 7, length: 4 })).toMatchObject({
      output: '[characters 8-11 of 14 in notes/plan.md]\n- st',
    });
    expect(await run('workspace_write', { path: 'notes/plan.md', content: 'x', mode: 'create' })).toMatchObject({
      ok: false,
      error: { type: 'Tool.Permanent', message: expect.stringContaining('exists and mode is "create"') },
    });
    expect(await run('workspace_read', { path: '.' })).toMatchObject({ output: '.:\nlink-out  (link)\nnotes/' });
  });

  test('escape attempts are refused as observations the model can act on, and nothing is written outside', async () => {
    for (const attempt of ['../outside/secret.txt', '/etc/passwd', 'link-out/secret.txt']) {
      const read = await run('workspace_read', { path: attempt });
      expect(read).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
      expect(!read.ok && read.error.message).toMatch(
        /is refused because .*: use a path relative to the workspace folder/,
      );
    }
    const write = await run('workspace_write', { path: 'link-out/secret.txt', content: 'pwned' });
    expect(write).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
    expect(readFileSync(path.join(base, 'outside', 'secret.txt'), 'utf8')).toBe('secret');
  });

  test('missing files and binary files are explained', async () => {
    expect(await run('workspace_read', { path: 'nope.txt' })).toMatchObject({
      error: { message: expect.stringContaining('"nope.txt" does not exist') },
    });
    writeFileSync(path.join(workspace, 'blob.bin'), Buffer.from([1, 0, 2]));
    expect(await run('workspace_read', { path: 'blob.bin' })).toMatchObject({
      error: { message: expect.stringContaining('looks binary') },
    });
  });

  test('workspace tools exist only with a workspace folder; write is declared as having side effects', () => {
    expect(new ToolRegistry(builtInTools()).names()).toEqual(['calculator', 'clock']);
    expect(registry.policyOf('workspace_write')?.idempotent).toBe(false);
    expect(registry.policyOf('workspace_read')?.idempotent).toBe(true);
  });
});
