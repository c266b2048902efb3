// The zod schema the workflows used before plan-schema.ts was written by hand: the reference
// that plan-schema.test.ts checks the hand-written reader against.
import { z } from 'zod';
import type { Plan } from '../../../src/contracts/plan';

const subtaskSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or dashes, e.g. "gather-prices"'),
  title: z.string().min(1).max(120),
  instructions: z.string().min(1).max(4000),
  dependsOn: z.array(z.string()).max(16),
  tools: z.array(z.string()).max(32),
  tier: z.string().optional(),
  decompose: z.boolean().optional(),
});

/** The shape the planner must answer with (also sent to the model as a JSON Schema). */
export const planSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('direct'), reason: z.string().optional() }),
  z.object({ mode: z.literal('decompose'), reason: z.string().optional(), subtasks: z.array(subtaskSchema).min(1) }),
]);

// Fails to compile if the schema and the contract drift apart.
const _sameShape: (plan: z.infer<typeof planSchema>) => Plan = (plan) => plan;
void _sameShape;

/** JSON Schema of a plan, for structured output. */
export function planJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(planSchema) as Record<string, unknown>;
  return schema;
}
