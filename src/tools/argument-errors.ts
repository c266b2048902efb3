import type { z } from 'zod';

/**
 * Describes invalid arguments for a model in one message: which field, what was expected,
 * and a valid example, so the model can correct its next call.
 */
export function describeInvalidArguments(toolName: string, error: z.ZodError, example: unknown): string {
  const problems = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(arguments)';
    return `${field}: ${issue.message}`;
  });
  return `invalid arguments for ${toolName}: ${problems.join('; ')}. Example of valid arguments: ${JSON.stringify(example)}`;
}
