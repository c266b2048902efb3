import { z } from 'zod';
import type { BatchQuery } from './memory-service';
import { MemoryInputError } from './memory-errors';

/** One line of a batch search file: `{"id", "query"}`. */
const batchQuerySchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  query: z.string().refine((query) => query.trim() !== '', 'must not be empty'),
});

/**
 * Parses a JSONL file of queries for `chassis memory search --batch` (blank lines skipped).
 *
 * @throws {MemoryInputError} naming the first bad line and what is wrong with it.
 */
export function parseBatchQueries(jsonl: string): BatchQuery[] {
  const queries: BatchQuery[] = [];
  jsonl.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new MemoryInputError(`line ${index + 1} is not JSON (${(error as Error).message})`);
    }
    const parsed = batchQuerySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(query)';
      const missing =
        typeof json === 'object' && json !== null && !Array.isArray(json) && issue?.path.length === 1
          ? (json as Record<string, unknown>)[String(issue.path[0])] === undefined
          : false;
      throw new MemoryInputError(
        `line ${index + 1}: ${field} ${missing ? 'is missing' : (issue?.message ?? 'is invalid')}: each line needs "id" and "query"`,
      );
    }
    queries.push(parsed.data);
  });
  return queries;
}
