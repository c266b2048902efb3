import { upsertSearchAttributes } from '@temporalio/workflow';
import { ChassisCostUsd, ChassisModelTier, ChassisStatus, ChassisTokens } from '../contracts/search-attributes';
import type { Usage } from '../contracts/usage';
import { totalTokens } from '../shared/usage';

/** Keeps the task's search attributes current so the Temporal UI can filter on them. */
export function publishStatus(status: string, usage: Usage): void {
  const tiers = Object.keys(usage.byTier);
  const tier = tiers.includes('large') ? 'large' : (tiers.sort()[0] ?? 'none');
  upsertSearchAttributes([
    { key: ChassisStatus, value: status },
    { key: ChassisModelTier, value: tier },
    { key: ChassisCostUsd, value: usage.costUsd },
    { key: ChassisTokens, value: totalTokens(usage) },
  ]);
}
