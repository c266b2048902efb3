import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** Which of some workflows still need what they stored; asked by the retention sweep. */
export interface WorkflowLiveness {
  /** The ids among `workflowIds` with an execution that is still running. */
  running(workflowIds: readonly string[]): Promise<Set<string>>;
  /** The ids among `workflowIds` with an execution (running or closed) whose history the server still keeps. */
  withHistory(workflowIds: readonly string[]): Promise<Set<string>>;
}

/**
 * A workflow id and the ids of the workflows that started it: Chassis names a child
 * `<parent>/<suffix>` (`task/subtask-1`, `task/remember`, `session/turn-3`), and a parent's
 * history holds its children's inputs and results, so what a child stored is in use while
 * any ancestor is. An id with `/` of another origin only adds ids that are not found.
 */
export function withAncestors(workflowId: string): string[] {
  const ids = [workflowId];
  for (let cut = workflowId.lastIndexOf('/'); cut > 0; cut = workflowId.lastIndexOf('/', cut - 1)) {
    ids.push(workflowId.slice(0, cut));
  }
  return ids;
}

/** Ids that can be quoted in a visibility query as they are; others are described one by one. */
function quotable(workflowId: string): boolean {
  // The query language's escaping is not documented: no quotes, backslashes or control characters.
  // eslint-disable-next-line no-control-regex
  return !/["'\\\u0000-\u001f]/.test(workflowId);
}

/** Options of {@link TemporalWorkflowLiveness}. */
export interface TemporalWorkflowLivenessOptions {
  /** Ids per visibility query. @default 100 */
  batchSize?: number;
}

/**
 * Asks Temporal through its client: one visibility query (`WorkflowId IN (…)`) per batch of
 * ids, and a describe for an id that cannot be quoted. Visibility is eventually consistent
 * (a workflow started a moment ago may not be listed yet); the sweep only asks about
 * documents last used before its cutoff, hours or days ago, so that lag does not matter.
 */
export class TemporalWorkflowLiveness implements WorkflowLiveness {
  private readonly batchSize: number;

  constructor(
    private readonly client: Client,
    options: TemporalWorkflowLivenessOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
  }

  running(workflowIds: readonly string[]): Promise<Set<string>> {
    return this.matching(workflowIds, true);
  }

  withHistory(workflowIds: readonly string[]): Promise<Set<string>> {
    return this.matching(workflowIds, false);
  }

  private async matching(workflowIds: readonly string[], runningOnly: boolean): Promise<Set<string>> {
    const unique = [...new Set(workflowIds)];
    const found = new Set<string>();
    const listed = unique.filter(quotable);
    for (let start = 0; start < listed.length; start += this.batchSize) {
      const batch = listed.slice(start, start + this.batchSize);
      const ids = batch.map((id) => `"${id}"`).join(', ');
      const query = `WorkflowId IN (${ids})${runningOnly ? ' AND ExecutionStatus = "Running"' : ''}`;
      for await (const execution of this.client.workflow.list({ query })) found.add(execution.workflowId);
    }
    for (const id of unique.filter((id) => !quotable(id))) {
      if (await this.described(id, runningOnly)) found.add(id);
    }
    return found;
  }

  private async described(workflowId: string, runningOnly: boolean): Promise<boolean> {
    try {
      const description = await this.client.workflow.getHandle(workflowId).describe();
      return !runningOnly || description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }
}
