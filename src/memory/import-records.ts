import { z } from 'zod';
import type { JsonValue } from '../contracts/memory';
import type { ImportRecord } from './knowledge-store';
import { MemoryInputError } from './memory-errors';

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/** One line of an import file: `text`, and optionally `id`, `session`, `time`, `meta`, `tags`. */
export const importRecordSchema = z.object({
  id: z
    .union([z.string().min(1), z.number()])
    .transform(String)
    .optional(),
  text: z.string().refine((text) => text.trim() !== '', 'must not be empty'),
  session: z.union([z.string(), z.number()]).transform(String).optional(),
  time: z
    .string()
    .refine((time) => !Number.isNaN(new Date(time).getTime()), 'must be an ISO 8601 time')
    .optional(),
  meta: z.record(z.string(), jsonValue).optional(),
  tags: z.array(z.string()).optional(),
});

/**
 * Parses a JSONL import file (one JSON object per line; blank lines skipped).
 *
 * @throws {MemoryInputError} naming the first bad line and what is wrong with it.
 */
export function parseImportRecords(jsonl: string): ImportRecord[] {
  const records: ImportRecord[] = [];
  const lines = jsonl.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new MemoryInputError(`line ${index + 1} is not JSON (${(error as Error).message})`);
    }
    const parsed = importRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(record)';
      const missing =
        typeof json === 'object' && json !== null && !Array.isArray(json) && issue?.path.length === 1
          ? (json as Record<string, unknown>)[String(issue.path[0])] === undefined
          : false;
      throw new MemoryInputError(
        `line ${index + 1}: ${field} ${missing ? 'is missing' : (issue?.message ?? 'is invalid')}: each line needs "text", and may have "id", "session", "time", "meta", "tags"`,
      );
    }
    records.push(parsed.data);
  });
  return records;
}
