import type { Plan, PlanLimits, PlannedSubtask } from '../../contracts/plan';
import { readPlan } from './plan-schema';

/** A plan that passed validation, or every problem found (for the model to fix). */
export type PlanValidation = { ok: true; plan: Plan } | { ok: false; problems: string[] };

function findCycle(subtasks: PlannedSubtask[]): string[] | undefined {
  const byId = new Map(subtasks.map((subtask) => [subtask.id, subtask]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dependency of byId.get(id)?.dependsOn ?? []) {
      if (!byId.has(dependency)) continue;
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const subtask of subtasks) {
    const cycle = visit(subtask.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Checks a planner's answer: the JSON shape, unique ids, known dependencies and tools,
 * no cycles, and the size and depth limits. Pure, so it runs in the workflow and the
 * problems can be sent back to the model verbatim.
 */
export function validatePlan(raw: unknown, limits: PlanLimits): PlanValidation {
  const parsed = readPlan(raw);
  if (!parsed.ok) return parsed;
  const plan = parsed.plan;
  if (plan.mode === 'direct') return { ok: true, plan };
  const problems: string[] = [];
  const { subtasks } = plan;
  if (subtasks.length > limits.maxSubtasks) {
    problems.push(`too many subtasks: ${subtasks.length} (at most ${limits.maxSubtasks}); merge related steps`);
  }
  const ids = new Set<string>();
  for (const subtask of subtasks) {
    if (ids.has(subtask.id)) problems.push(`subtask id "${subtask.id}" is used twice`);
    ids.add(subtask.id);
  }
  for (const subtask of subtasks) {
    for (const dependency of subtask.dependsOn) {
      if (dependency === subtask.id) problems.push(`subtask "${subtask.id}" depends on itself`);
      else if (!ids.has(dependency))
        problems.push(`subtask "${subtask.id}" depends on "${dependency}", which is not in the plan`);
    }
    const unknownTools = subtask.tools.filter((tool) => !limits.availableTools.includes(tool));
    if (unknownTools.length > 0) {
      problems.push(
        `subtask "${subtask.id}" uses unknown tools ${unknownTools.join(', ')}; available: ${limits.availableTools.join(', ') || '(none)'}`,
      );
    }
    if (subtask.decompose && limits.depth + 1 >= limits.maxDepth) {
      problems.push(
        `subtask "${subtask.id}" asks to decompose further, but the depth limit (${limits.maxDepth}) is reached`,
      );
    }
  }
  const cycle = findCycle(subtasks);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' → ')}`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, plan };
}
