/** One part of a decomposed task, as the planner wrote it. */
export interface PlannedSubtask {
  /** Short unique id, used in the child's workflow id (`<parentId>/<id>`). */
  id: string;
  title: string;
  instructions: string;
  /** Ids of subtasks whose results this one needs. */
  dependsOn: string[];
  /** Tool names this subtask may use (a subset of the task's tools). */
  tools: string[];
  /** The planner's hint for the model tier (e.g. `small` for lookups, `large` for reasoning). */
  tier?: string;
  /** Decompose this subtask again (a nested agent task), within the depth limit. */
  decompose?: boolean;
}

/** The planner's answer: answer directly, or split the task. */
export type Plan =
  { mode: 'direct'; reason?: string } | { mode: 'decompose'; reason?: string; subtasks: PlannedSubtask[] };

/** Limits a plan must respect. */
export interface PlanLimits {
  maxSubtasks: number;
  /** Depth of the task being planned (0 = top level). */
  depth: number;
  maxDepth: number;
  availableTools: string[];
}
