import { upsertSearchAttributes } from '@temporalio/workflow';
import { ChassisCostUsd, ChassisStatus, ChassisTokens } from '../contracts/search-attributes';
import type { Usage } from '../contracts/usage';

/** Keeps the task's search attributes current so the Temporal UI can filter on them. */
export function publishStatus(status: string, usage: Usage): void {
  upsertSearchAttributes([
    { key: ChassisStatus, value: status },
    { key: ChassisCostUsd, value: usage.costUsd },
    { key: ChassisTokens, value: usage.inputTokens + usage.outputTokens },
  ]);
}
