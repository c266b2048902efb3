import { planJsonSchema, readPlan } from '../../../src/workflows/planning/plan-schema';
import { z } from 'zod';
import { planSchema as zodPlanSchema } from './zod-plan-schema';

const valid = {
  mode: 'decompose',
  reason: 'two parts',
  subtasks: [
    { id: 'prices', title: 'Gather prices', instructions: 'Find them.', dependsOn: [], tools: ['calculator'] },
    {
      id: 'sum-2',
      title: 'Sum',
      instructions: 'Add.',
      dependsOn: ['prices'],
      tools: [],
      tier: 'small',
      decompose: false,
      extra: 'dropped',
    },
  ],
};

/** Plans the planner might answer with: valid ones and every way one field can be wrong. */
function corpus(): unknown[] {
  const subtask = valid.subtasks[0] as Record<string, unknown>;
  const withSubtask = (changes: Record<string, unknown>) => ({
    ...valid,
    subtasks: [{ ...subtask, ...changes }, valid.subtasks[1]],
  });
  const badValues = [
    undefined,
    null,
    1,
    true,
    '',
    'x'.repeat(121),
    'x'.repeat(4001),
    [],
    ['a'],
    [1],
    {},
    'Bad Id',
    '-a',
    'a'.repeat(33),
  ];
  const plans: unknown[] = [
    valid,
    { mode: 'direct' },
    { mode: 'direct', reason: 'easy', extra: 1 },
    { mode: 'direct', reason: 3 },
    { mode: 'direct', reason: null },
    { mode: 'other' },
    {},
    null,
    'not a plan',
    [],
    { mode: 'decompose' },
    { mode: 'decompose', subtasks: [] },
    { mode: 'decompose', subtasks: 'x' },
    { mode: 'decompose', subtasks: [null] },
    { ...valid, reason: 5 },
    withSubtask({ dependsOn: Array.from({ length: 17 }, (_, index) => `d${index}`) }),
    withSubtask({ dependsOn: Array.from({ length: 16 }, (_, index) => `d${index}`) }),
    withSubtask({ tools: Array.from({ length: 33 }, (_, index) => `t${index}`) }),
    withSubtask({ decompose: 'yes' }),
    withSubtask({ decompose: true }),
  ];
  for (const field of ['id', 'title', 'instructions', 'dependsOn', 'tools', 'tier']) {
    for (const value of badValues) plans.push(withSubtask({ [field]: value }));
  }
  return plans;
}

describe('readPlan', () => {
  test('accepts and rejects exactly what the earlier zod schema did, with the same plan out', () => {
    for (const raw of corpus()) {
      const reference = zodPlanSchema.safeParse(raw);
      const read = readPlan(raw);
      expect({ raw, ok: read.ok }).toEqual({ raw, ok: reference.success });
      if (read.ok && reference.success) expect(read.plan).toEqual(reference.data);
    }
  });

  test('names the field of each problem', () => {
    const read = readPlan({ ...valid, subtasks: [{ ...valid.subtasks[0], id: 'Bad Id', tools: [1] }] });
    expect(read).toEqual({
      ok: false,
      problems: [
        'subtasks.0.id: must be 1-32 lowercase letters, digits or dashes, e.g. "gather-prices"',
        'subtasks.0.tools.0: expected string, received number',
      ],
    });
  });

  test('sends the model the same JSON Schema zod produced', () => {
    const { $schema: _ignored, ...reference } = z.toJSONSchema(zodPlanSchema) as Record<string, unknown>;
    expect(planJsonSchema()).toEqual(reference);
  });
});
