import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AgentTaskInput } from '../contracts/agent-task';
import type { ModelSelection } from '../contracts/models';
import type { AgentTool } from '../contracts/tools';
import { localLookup, workerLookup } from './activity-options';
import { recallMemory, type RecalledMemory } from './memory/recall-memory';
import { selectModels } from './routing/select-models';

/** Episodes of tasks run outside any session are recalled together under this id. */
const DEFAULT_SESSION = 'default';
const DEFAULT_NAMESPACE = 'default';
/** Patch id of recall-before / remember-after (added while tasks may be running). */
const TASK_MEMORY_PATCH = 'task-memory-v1';
/**
 * Patch id: the task's bookkeeping (its tools, the catalog's description, recalled memory)
 * is read by local activities in parallel, inside the first workflow task, instead of by
 * three activities one after another (three round trips through the server). Histories
 * recorded before it scheduled those activities and must replay so.
 */
export const LOCAL_PREPARATION_PATCH = 'task-preparation-local-v1';

/** What a task knows before its first model call. */
export interface TaskPreparation {
  tools: AgentTool[];
  selection: ModelSelection;
  /** Whether the task writes itself to memory when it ends (top-level tasks with memory on). */
  remembers: boolean;
  recalled: RecalledMemory;
}

/**
 * Reads what a task needs before its first model call. The three reads are independent and
 * quick (worker-local facts, one MongoDB search), so they run as local activities side by
 * side: their results are recorded in the history like activity results, without a round
 * trip through the server each.
 */
export async function prepareTask(input: AgentTaskInput, depth: number): Promise<TaskPreparation> {
  if (!patched(LOCAL_PREPARATION_PATCH)) return prepareOneByOne(input, depth);
  const { describeTools, describeModels } = proxyLocalActivities<Activities>(localLookup);
  const remembers = depth === 0 && input.memory !== false;
  const [{ tools }, models, recalled] = await Promise.all([
    describeTools({ names: input.tools }),
    // Read for pinned tasks too: every model call's timeouts come from its call settings.
    describeModels({}),
    remembers ? recall(input, 'local') : Promise.resolve<RecalledMemory>({ items: 0 }),
  ]);
  const selection: ModelSelection =
    input.model === undefined ? { kind: 'routed', models } : { kind: 'pinned', model: input.model, models };
  return { tools, selection, remembers, recalled };
}

function recall(input: AgentTaskInput, mode: 'local' | 'activity'): Promise<RecalledMemory> {
  return recallMemory(input.goal, input.sessionId ?? DEFAULT_SESSION, input.memoryNamespace ?? DEFAULT_NAMESPACE, mode);
}

/** The sequence of tasks started before {@link LOCAL_PREPARATION_PATCH}, command for command. */
async function prepareOneByOne(input: AgentTaskInput, depth: number): Promise<TaskPreparation> {
  const { describeTools } = proxyActivities<Activities>(workerLookup);
  const { tools }: { tools: AgentTool[] } = await describeTools({ names: input.tools });
  const selection = await selectModels(input.model);
  // Memory came after the first recorded histories: patched() keeps them replaying.
  const remembers = depth === 0 && input.memory !== false && patched(TASK_MEMORY_PATCH);
  const recalled = remembers ? await recall(input, 'activity') : { items: 0 };
  return { tools, selection, remembers, recalled };
}
