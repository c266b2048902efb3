import { constants } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../tool';
import { PermanentToolError } from '../tool-errors';
import { displayPath, resolveWorkspacePath } from './workspace-paths';

/** Largest file `workspace_read` opens, in bytes. */
export const MAX_WORKSPACE_READ_BYTES = 1_000_000;
/** Largest content `workspace_write` writes in one call, in characters. */
export const MAX_WORKSPACE_WRITE_CHARS = 1_000_000;
/** Entries listed for a folder. */
const MAX_LISTED_ENTRIES = 500;

/** Creates `workspace_read`, confined to `workspaceDir`. */
export function createWorkspaceReadTool(workspaceDir: string) {
  return defineTool({
    name: 'workspace_read',
    description:
      'Reads a text file, or lists a folder, in the shared workspace folder. Use it to look at files you or the user ' +
      'saved there before relying on their content. Paths are relative to the workspace (e.g. "notes/plan.md"; "." is ' +
      'the workspace itself). Returns the file text (optionally from a character offset, for a given length), or one ' +
      `line per folder entry ("name/" for folders, "name  123 bytes" for files). Limits: text files up to ` +
      `${MAX_WORKSPACE_READ_BYTES / 1_000_000} MB; no absolute paths, no "..", no links leading outside the workspace.`,
    input: z.object({
      path: z.string().max(1000).default('.').describe('Path relative to the workspace, e.g. "notes/plan.md"'),
      offset: z.number().int().min(0).default(0).describe('Character offset to start reading at'),
      length: z.number().int().min(1).optional().describe('How many characters to read (default: to the end)'),
    }),
    example: { path: 'notes/plan.md', offset: 0 },
    policy: { timeoutMs: 10_000, idempotent: true },
    async execute({ path: requested, offset, length }) {
      const real = await resolveWorkspacePath(workspaceDir, requested);
      const shown = await displayPath(workspaceDir, real);
      const info = await stat(real).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
          throw new PermanentToolError(`"${shown}" does not exist: list the workspace with {"path":"."}`);
        }
        throw error;
      });
      if (info.isDirectory()) return listFolder(real, shown);
      if (!info.isFile()) throw new PermanentToolError(`"${shown}" is not a regular file`);
      if (info.size > MAX_WORKSPACE_READ_BYTES) {
        throw new PermanentToolError(
          `"${shown}" has ${info.size} bytes, over the ${MAX_WORKSPACE_READ_BYTES}-byte limit`,
        );
      }
      // O_NOFOLLOW: the resolved path is real; a link swapped in since the check is refused.
      const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
      let bytes: Buffer;
      try {
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
      if (bytes.subarray(0, 8192).includes(0)) {
        throw new PermanentToolError(`"${shown}" looks binary (it contains NUL bytes): only text files can be read`);
      }
      const text = bytes.toString('utf8');
      if (offset === 0 && length === undefined) return text;
      if (offset > text.length)
        throw new PermanentToolError(`offset ${offset} is past the end: "${shown}" has ${text.length} characters`);
      const slice = text.slice(offset, length === undefined ? undefined : offset + length);
      return `[characters ${offset + 1}-${offset + slice.length} of ${text.length} in ${shown}]\n${slice}`;
    },
  });
}

async function listFolder(real: string, shown: string): Promise<string> {
  const entries = await readdir(real, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const lines: string[] = [];
  for (const entry of entries.slice(0, MAX_LISTED_ENTRIES)) {
    if (entry.isDirectory()) lines.push(`${entry.name}/`);
    else if (entry.isFile()) lines.push(`${entry.name}  ${(await stat(path.join(real, entry.name))).size} bytes`);
    else lines.push(`${entry.name}  (${entry.isSymbolicLink() ? 'link' : 'special file'})`);
  }
  const more = entries.length > MAX_LISTED_ENTRIES ? `\n… and ${entries.length - MAX_LISTED_ENTRIES} more` : '';
  if (lines.length === 0) return `${shown}: empty folder`;
  return `${shown}:\n${lines.join('\n')}${more}`;
}

/** Creates `workspace_write`, confined to `workspaceDir`. Not idempotent: the runner records its outcome per idempotency key. */
export function createWorkspaceWriteTool(workspaceDir: string) {
  return defineTool({
    name: 'workspace_write',
    description:
      'Writes a text file in the shared workspace folder, creating missing folders. Use it to save results, notes or ' +
      'drafts the user asked for. mode "overwrite" (default) replaces the file, "append" adds to its end, "create" ' +
      'fails if the file exists. Returns what was written and the new file size. Limits: ' +
      `${MAX_WORKSPACE_WRITE_CHARS / 1_000_000}M characters per call; paths relative to the workspace, no "..", no ` +
      'links leading outside. A retried call is not written twice.',
    input: z.object({
      path: z.string().min(1).max(1000).describe('Path relative to the workspace, e.g. "reports/summary.md"'),
      content: z.string().max(MAX_WORKSPACE_WRITE_CHARS).describe('The text to write'),
      mode: z.enum(['overwrite', 'append', 'create']).default('overwrite').describe('How to treat an existing file'),
    }),
    example: { path: 'reports/summary.md', content: '# Summary\n', mode: 'overwrite' },
    policy: { timeoutMs: 10_000, idempotent: false },
    async execute({ path: requested, content, mode }) {
      const real = await resolveWorkspacePath(workspaceDir, requested);
      const shown = await displayPath(workspaceDir, real);
      if (requested.trim() === '.' || shown === '.')
        throw new PermanentToolError('give a file path, not the workspace folder');
      await mkdir(path.dirname(real), { recursive: true });
      const flags =
        constants.O_WRONLY |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        (mode === 'append' ? constants.O_APPEND : mode === 'create' ? constants.O_EXCL : constants.O_TRUNC);
      let handle;
      try {
        handle = await open(real, flags, 0o644);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST')
          throw new PermanentToolError(`"${shown}" exists and mode is "create": use "overwrite" or "append"`);
        if (code === 'EISDIR') throw new PermanentToolError(`"${shown}" is a folder`);
        if (code === 'ELOOP')
          throw new PermanentToolError(`"${shown}" is a symbolic link: write to its target instead`);
        throw error;
      }
      try {
        await handle.writeFile(content, 'utf8');
        const size = (await handle.stat()).size;
        return `${mode === 'append' ? 'appended' : 'wrote'} ${content.length} characters to ${shown}; it now has ${size} bytes`;
      } finally {
        await handle.close();
      }
    },
  });
}
