import type { Db } from 'mongodb';
import type { FieldEncryption } from '../../codec/field-encryption';
import { z } from 'zod';
import { TOOL_OUTPUT_READ_NAME, ToolOutputStore } from '../output-store';
import { defineTool } from '../tool';
import { PermanentToolError } from '../tool-errors';

/** Longest slice one call returns; below the policy's `maxOutputChars` so a slice is never cut again. */
const MAX_SLICE_CHARS = 6_000;

/** Creates the tool that reads more of an output that was too long to show whole. */
export function createToolOutputReadTool(db: Db, fields?: FieldEncryption) {
  const store = new ToolOutputStore(db, fields);
  return defineTool({
    name: TOOL_OUTPUT_READ_NAME,
    description:
      'Reads part of a tool output that was too long to show whole. Use it when a tool result ends with ' +
      '"[output truncated … Full output stored as tool-output:…]" and you need more of it. ' +
      `Takes the reference, a character offset and a length (at most ${MAX_SLICE_CHARS}); returns that slice ` +
      'and says how many characters remain. Limits: read-only; only references given in tool results exist.',
    input: z.object({
      ref: z
        .string()
        .regex(/^tool-output:[0-9a-f]{64}$/, 'must be a reference such as "tool-output:<64 hex digits>"')
        .describe('The reference from the truncated result, e.g. "tool-output:3f2a…"'),
      offset: z.number().int().min(0).default(0).describe('Character offset to start at (0 = the beginning)'),
      length: z.number().int().min(1).max(MAX_SLICE_CHARS).default(4_000).describe('How many characters to read'),
    }),
    example: { ref: `tool-output:${'0'.repeat(64)}`, offset: 8000, length: 4000 },
    policy: { timeoutMs: 10_000, maxOutputChars: 8_000, idempotent: true },
    async execute({ ref, offset, length }) {
      const stored = await store.get(ref);
      if (stored === undefined)
        throw new PermanentToolError(`no stored output ${ref}: use a reference from a tool result`);
      if (offset >= stored.chars) {
        throw new PermanentToolError(`offset ${offset} is past the end: ${ref} has ${stored.chars} characters`);
      }
      const slice = stored.content.slice(offset, offset + length);
      const end = offset + slice.length;
      const remaining = stored.chars - end;
      const tail = remaining > 0 ? `${remaining} characters remain; next offset ${end}` : 'end of output';
      return `[characters ${offset + 1}-${end} of ${stored.chars}; ${tail}]\n${slice}`;
    },
  });
}
