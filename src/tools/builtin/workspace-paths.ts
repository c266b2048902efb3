import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { PermanentToolError, isPermanentToolError } from '../tool-errors';

/**
 * Resolves a model-given path inside the workspace folder, refusing every way out: absolute
 * paths, `..` segments, and symbolic links (at any depth) whose target is outside. Returns
 * the real path to use, so a later open follows no link the check did not see.
 *
 * A link swapped in between this check and the open is not caught here; writers open the
 * returned path with `O_NOFOLLOW`, which refuses a link in its last component.
 */
export async function resolveWorkspacePath(workspaceDir: string, requested: string): Promise<string> {
  const given = requested.trim() === '' ? '.' : requested;
  if (given.includes('\0')) throw new PermanentToolError('the path contains a NUL character');
  if (path.isAbsolute(given) || path.win32.isAbsolute(given) || /^[\\/]/.test(given)) {
    throw outside(requested, 'it is absolute');
  }
  if (given.split(/[\\/]+/).includes('..')) throw outside(requested, 'it contains ".."');

  await mkdir(workspaceDir, { recursive: true });
  const root = await realpath(workspaceDir);
  const candidate = path.resolve(root, given);
  if (!isInside(root, candidate)) throw outside(requested, 'it resolves outside the workspace');

  // The deepest part of the path that exists decides where a link leads.
  let existing = candidate;
  const missing: string[] = [];
  for (;;) {
    try {
      const real = await realpath(existing);
      if (!isInside(root, real)) throw outside(requested, 'a symbolic link in it points outside the workspace');
      return path.join(real, ...missing.reverse());
    } catch (error) {
      if (isPermanentToolError(error)) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      // A dangling link: lstat finds it, realpath does not. Refuse it rather than guess.
      if (await isDanglingLink(existing)) throw outside(requested, 'it is a symbolic link to a missing target');
      missing.push(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
}

/** The path as shown to the model: relative to the workspace, with forward slashes. */
export async function displayPath(workspaceDir: string, real: string): Promise<string> {
  const root = await realpath(workspaceDir);
  const relative = path.relative(root, real).split(path.sep).join('/');
  return relative === '' ? '.' : relative;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

async function isDanglingLink(target: string): Promise<boolean> {
  try {
    return (await lstat(target)).isSymbolicLink();
  } catch {
    return false;
  }
}

function outside(requested: string, reason: string): PermanentToolError {
  return new PermanentToolError(
    `path ${JSON.stringify(requested)} is refused because ${reason}: use a path relative to the workspace folder, such as "notes/today.md"`,
  );
}
