import type { Plan, PlannedSubtask } from '../../contracts/plan';

/**
 * The shape the planner must answer with, checked by hand rather than with zod: every
 * module in the workflow bundle is evaluated again for each workflow a worker holds, and zod
 * alone cost about 580 KB per cached workflow (docs/performance.md). The checks accept and
 * reject exactly what the earlier zod schema did (unknown keys are dropped, not refused), so
 * recorded histories replay the same; `test/workflows/planning/plan-schema.test.ts` compares
 * the two on valid and broken plans.
 */

const SUBTASK_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const SUBTASK_ID_HINT = 'must be 1-32 lowercase letters, digits or dashes, e.g. "gather-prices"';

/** A plan read from the planner's answer, or every problem with its path (e.g. `subtasks.0.id`). */
export type PlanShape = { ok: true; plan: Plan } | { ok: false; problems: string[] };

type Problems = string[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function checkString(
  value: unknown,
  path: string,
  problems: Problems,
  limits: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {},
): value is string {
  if (typeof value !== 'string') {
    problems.push(`${path}: expected string, received ${describe(value)}`);
    return false;
  }
  if (limits.min !== undefined && value.length < limits.min) {
    problems.push(`${path}: too short: expected at least ${limits.min} characters`);
  } else if (limits.max !== undefined && value.length > limits.max) {
    problems.push(`${path}: too long: expected at most ${limits.max} characters`);
  } else if (limits.pattern !== undefined && !limits.pattern.test(value)) {
    problems.push(`${path}: ${limits.hint ?? `must match ${limits.pattern.source}`}`);
  }
  return true;
}

function checkStringList(value: unknown, path: string, max: number, problems: Problems): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${path}: expected array, received ${describe(value)}`);
    return undefined;
  }
  const before = problems.length;
  value.forEach((item, index) => checkString(item, `${path}.${index}`, problems));
  if (value.length > max) problems.push(`${path}: too big: expected at most ${max} items`);
  return problems.length === before ? (value as string[]) : undefined;
}

function checkOptionalString(value: unknown, path: string, problems: Problems): void {
  if (value !== undefined) checkString(value, path, problems);
}

function readSubtask(value: unknown, path: string, problems: Problems): PlannedSubtask | undefined {
  if (!isRecord(value)) {
    problems.push(`${path}: expected object, received ${describe(value)}`);
    return undefined;
  }
  const before = problems.length;
  checkString(value.id, `${path}.id`, problems, { pattern: SUBTASK_ID, hint: SUBTASK_ID_HINT });
  checkString(value.title, `${path}.title`, problems, { min: 1, max: 120 });
  checkString(value.instructions, `${path}.instructions`, problems, { min: 1, max: 4000 });
  const dependsOn = checkStringList(value.dependsOn, `${path}.dependsOn`, 16, problems);
  const tools = checkStringList(value.tools, `${path}.tools`, 32, problems);
  checkOptionalString(value.tier, `${path}.tier`, problems);
  if (value.decompose !== undefined && typeof value.decompose !== 'boolean') {
    problems.push(`${path}.decompose: expected boolean, received ${describe(value.decompose)}`);
  }
  if (problems.length > before || dependsOn === undefined || tools === undefined) return undefined;
  // Only the known fields, as zod's object parsing did.
  return {
    id: value.id as string,
    title: value.title as string,
    instructions: value.instructions as string,
    dependsOn,
    tools,
    ...(value.tier !== undefined ? { tier: value.tier as string } : {}),
    ...(value.decompose !== undefined ? { decompose: value.decompose as boolean } : {}),
  };
}

/** Reads a plan from the planner's parsed JSON answer: its shape only (see `validatePlan` for the rest). */
export function readPlan(raw: unknown): PlanShape {
  if (!isRecord(raw)) return { ok: false, problems: [`(plan): expected object, received ${describe(raw)}`] };
  if (raw.mode !== 'direct' && raw.mode !== 'decompose') {
    return { ok: false, problems: ['mode: expected "direct" or "decompose"'] };
  }
  const problems: Problems = [];
  checkOptionalString(raw.reason, 'reason', problems);
  const reason = raw.reason !== undefined ? { reason: raw.reason as string } : {};
  if (raw.mode === 'direct')
    return problems.length > 0 ? { ok: false, problems } : { ok: true, plan: { mode: 'direct', ...reason } };
  if (!Array.isArray(raw.subtasks)) {
    problems.push(`subtasks: expected array, received ${describe(raw.subtasks)}`);
    return { ok: false, problems };
  }
  if (raw.subtasks.length === 0) problems.push('subtasks: too small: expected at least 1 item');
  const subtasks = raw.subtasks.map((subtask, index) => readSubtask(subtask, `subtasks.${index}`, problems));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { mode: 'decompose', ...reason, subtasks: subtasks as PlannedSubtask[] } };
}

const SUBTASK_JSON_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: SUBTASK_ID.source },
    title: { type: 'string', minLength: 1, maxLength: 120 },
    instructions: { type: 'string', minLength: 1, maxLength: 4000 },
    dependsOn: { maxItems: 16, type: 'array', items: { type: 'string' } },
    tools: { maxItems: 32, type: 'array', items: { type: 'string' } },
    tier: { type: 'string' },
    decompose: { type: 'boolean' },
  },
  required: ['id', 'title', 'instructions', 'dependsOn', 'tools'],
  additionalProperties: false,
};

/** JSON Schema of a plan, for structured output (the same document zod produced for the earlier schema). */
export function planJsonSchema(): Record<string, unknown> {
  return {
    oneOf: [
      {
        type: 'object',
        properties: { mode: { type: 'string', const: 'direct' }, reason: { type: 'string' } },
        required: ['mode'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: {
          mode: { type: 'string', const: 'decompose' },
          reason: { type: 'string' },
          subtasks: { minItems: 1, type: 'array', items: SUBTASK_JSON_SCHEMA },
        },
        required: ['mode', 'subtasks'],
        additionalProperties: false,
      },
    ],
  };
}
