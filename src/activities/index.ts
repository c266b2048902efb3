import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contracts/failure-types';
import { createMemoryActivities, type MemoryActivityDependencies } from './memory-activities';
import { createModelActivities, type ModelActivityDependencies } from './model-activities';
import { createRememberActivities } from './remember-activities';
import { createRetentionActivities, type RetentionActivityDependencies } from './retention-activities';
import { createToolActivities, type ToolActivityDependencies } from './tool-activities';

export type { DescribeToolsInput, DescribeToolsResult } from './tool-activities';

/** What activities need from the world, built once by the worker (or a test). */
export type ActivityDependencies = ModelActivityDependencies &
  ToolActivityDependencies &
  RetentionActivityDependencies & {
    /** MongoDB-backed memory; without it memory activities fail fast and tasks go on without memory. */
    memory?: MemoryActivityDependencies;
  };

type MemoryActivities = ReturnType<typeof createMemoryActivities>;

/**
 * Memory activities of a worker that has no memory configured: each fails at once with a
 * non-retryable `Memory.Unavailable`, so a task notes it and goes on (docs/architecture.md, decision 5).
 */
function unconfiguredMemory(): MemoryActivities {
  const unavailable = async (): Promise<never> => {
    throw ApplicationFailure.create({
      type: FailureType.MemoryUnavailable,
      message: 'memory is not configured in this worker (no MongoDB database was given)',
      nonRetryable: true,
    });
  };
  return {
    recall: unavailable,
    rememberEpisode: unavailable,
    searchKnowledge: unavailable,
    ingestDocument: unavailable,
    summarize: unavailable,
    extractFacts: unavailable,
    saveFact: unavailable,
  };
}

/** The memory activities of a worker: real ones, or fast failures when memory is not configured. */
export function memoryActivitiesFor(dependencies: ActivityDependencies): MemoryActivities {
  return dependencies.memory === undefined ? unconfiguredMemory() : createMemoryActivities(dependencies.memory);
}

/** Every activity, bound to its dependencies. */
export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createModelActivities(dependencies),
    ...createToolActivities(dependencies),
    ...memoryActivitiesFor(dependencies),
    ...createRememberActivities(),
    ...createRetentionActivities(dependencies),
  };
}

/** The activity interface workflows proxy (as a type only). */
export type Activities = ReturnType<typeof createActivities>;
