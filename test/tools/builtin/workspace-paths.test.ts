import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveWorkspacePath } from '../../../src/tools/builtin/workspace-paths';
import { PermanentToolError } from '../../../src/tools/tool-errors';

// Real folders and links in a temporary directory: confinement is about the file system.
let base: string;
let workspace: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'chassis-workspace-')));
  workspace = path.join(base, 'workspace');
  outside = path.join(base, 'outside');
  mkdirSync(path.join(workspace, 'notes'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(workspace, 'notes', 'a.md'), 'a');
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, path.join(workspace, 'escape-dir'));
  symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'escape-file'));
  symlinkSync(path.join(workspace, 'notes'), path.join(workspace, 'notes-link'));
  symlinkSync(path.join(base, 'missing-target'), path.join(workspace, 'dangling'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

async function refusal(requested: string): Promise<string> {
  const error = await resolveWorkspacePath(workspace, requested).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PermanentToolError);
  return (error as Error).message;
}

describe('resolveWorkspacePath', () => {
  test('relative paths resolve inside the workspace, existing or not', async () => {
    expect(await resolveWorkspacePath(workspace, 'notes/a.md')).toBe(path.join(workspace, 'notes', 'a.md'));
    expect(await resolveWorkspacePath(workspace, './notes/new/b.md')).toBe(
      path.join(workspace, 'notes', 'new', 'b.md'),
    );
    expect(await resolveWorkspacePath(workspace, '')).toBe(workspace);
    expect(await resolveWorkspacePath(workspace, '.')).toBe(workspace);
  });

  test('a link that stays inside is followed to its real path', async () => {
    expect(await resolveWorkspacePath(workspace, 'notes-link/a.md')).toBe(path.join(workspace, 'notes', 'a.md'));
  });

  test('".." is refused, even when it would land inside', async () => {
    expect(await refusal('../outside/secret.txt')).toMatch(/contains "\.\."/);
    expect(await refusal('notes/../notes/a.md')).toMatch(/contains "\.\."/);
    expect(await refusal('notes\\..\\..\\outside')).toMatch(/contains "\.\."/);
  });

  test('absolute paths are refused', async () => {
    expect(await refusal('/etc/passwd')).toMatch(/absolute/);
    expect(await refusal(path.join(workspace, 'notes', 'a.md'))).toMatch(/absolute/);
    expect(await refusal('C:\\Windows\\win.ini')).toMatch(/absolute/);
  });

  test('links pointing outside are refused, for the file itself and for a folder on the way', async () => {
    expect(await refusal('escape-file')).toMatch(/symbolic link/);
    expect(await refusal('escape-dir/secret.txt')).toMatch(/symbolic link/);
    expect(await refusal('escape-dir/new-file.txt')).toMatch(/symbolic link/);
  });

  test('a dangling link is refused rather than created through', async () => {
    expect(await refusal('dangling')).toMatch(/missing target/);
  });

  test('NUL bytes are refused', async () => {
    expect(await refusal('notes/a.md\0.png')).toMatch(/NUL/);
  });

  test('a missing workspace folder is created', async () => {
    const fresh = path.join(base, 'fresh-workspace');
    expect(await resolveWorkspacePath(fresh, 'x.txt')).toBe(path.join(fresh, 'x.txt'));
  });
});
