import type { PlanLimits } from '../../../src/contracts/plan';
import { planJsonSchema } from '../../../src/workflows/planning/plan-schema';
import { validatePlan } from '../../../src/workflows/planning/validate-plan';

const limits: PlanLimits = { maxSubtasks: 4, depth: 0, maxDepth: 2, availableTools: ['calculator', 'clock'] };

function subtask(id: string, dependsOn: string[] = [], tools: string[] = []) {
  return { id, title: `Title ${id}`, instructions: `Do ${id}`, dependsOn, tools };
}

function problemsOf(raw: unknown, customLimits: PlanLimits = limits): string[] {
  const validation = validatePlan(raw, customLimits);
  if (validation.ok) throw new Error('expected an invalid plan');
  return validation.problems;
}

describe('validatePlan', () => {
  test('a direct plan and a valid decomposition pass', () => {
    expect(validatePlan({ mode: 'direct' }, limits)).toEqual({ ok: true, plan: { mode: 'direct' } });
    const plan = {
      mode: 'decompose',
      subtasks: [subtask('a', [], ['calculator']), subtask('b'), subtask('c', ['a', 'b'])],
    };
    expect(validatePlan(plan, limits)).toEqual({ ok: true, plan });
  });

  test('cycles are found and named', () => {
    const problems = problemsOf({
      mode: 'decompose',
      subtasks: [subtask('a', ['c']), subtask('b', ['a']), subtask('c', ['b'])],
    });
    expect(problems).toEqual(['dependency cycle: a → c → b → a']);
  });

  test('a subtask depending on itself is reported', () => {
    expect(problemsOf({ mode: 'decompose', subtasks: [subtask('a', ['a'])] })).toContain(
      'subtask "a" depends on itself',
    );
  });

  test('unknown tools list the available ones', () => {
    expect(problemsOf({ mode: 'decompose', subtasks: [subtask('a', [], ['teleport'])] })).toEqual([
      'subtask "a" uses unknown tools teleport; available: calculator, clock',
    ]);
  });

  test('too many subtasks', () => {
    const subtasks = ['a', 'b', 'c', 'd', 'e'].map((id) => subtask(id));
    expect(problemsOf({ mode: 'decompose', subtasks })).toEqual([
      'too many subtasks: 5 (at most 4); merge related steps',
    ]);
  });

  test('a missing dependency', () => {
    expect(problemsOf({ mode: 'decompose', subtasks: [subtask('a', ['ghost'])] })).toEqual([
      'subtask "a" depends on "ghost", which is not in the plan',
    ]);
  });

  test('duplicate ids', () => {
    expect(problemsOf({ mode: 'decompose', subtasks: [subtask('a'), subtask('a')] })).toContain(
      'subtask id "a" is used twice',
    );
  });

  test('nested decomposition stops at the depth limit', () => {
    const plan = { mode: 'decompose', subtasks: [{ ...subtask('a'), decompose: true }] };
    expect(validatePlan(plan, limits).ok).toBe(true);
    expect(problemsOf(plan, { ...limits, depth: 1 })).toEqual([
      'subtask "a" asks to decompose further, but the depth limit (2) is reached',
    ]);
  });

  test('a wrong shape names the field', () => {
    expect(
      problemsOf({
        mode: 'decompose',
        subtasks: [{ id: 'Bad Id', title: 't', instructions: 'i', dependsOn: [], tools: [] }],
      })[0],
    ).toMatch(/^subtasks\.0\.id: must be 1-32 lowercase letters/);
    expect(problemsOf('not a plan')[0]).toMatch(/^\(plan\): /);
    expect(problemsOf({ mode: 'decompose', subtasks: [] })[0]).toMatch(/^subtasks: /);
  });

  test('the JSON Schema sent to the model describes both modes', () => {
    const schema = JSON.stringify(planJsonSchema());
    expect(schema).toContain('"decompose"');
    expect(schema).toContain('"dependsOn"');
    expect(schema).not.toContain('$schema');
  });
});
