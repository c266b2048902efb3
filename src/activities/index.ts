import type { ModelGateway } from '../models/model-gateway';
import type { ToolRegistry } from '../tools/registry';
import { createModelActivities } from './model-activities';
import { createToolActivities } from './tool-activities';

export type { DescribeToolsInput, DescribeToolsResult } from './tool-activities';

/** What activities need from the world, built once by the worker (or a test). */
export interface ActivityDependencies {
  models: ModelGateway;
  tools: ToolRegistry;
}

/** Every activity, bound to its dependencies. */
export function createActivities(dependencies: ActivityDependencies) {
  return { ...createModelActivities(dependencies), ...createToolActivities(dependencies) };
}

/** The activity interface workflows proxy (as a type only). */
export type Activities = ReturnType<typeof createActivities>;
