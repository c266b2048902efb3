import type { Db } from 'mongodb';
import { TOOL_EFFECTS_COLLECTION, effectId } from '../../../src/tools/effect-ledger';

/** A claim as a worker that died mid-call leaves it: `running`, its lease passed. */
export async function insertDeadClaim(db: Db, idempotencyKey: string, tool: string, args: unknown): Promise<void> {
  await db.collection(TOOL_EFFECTS_COLLECTION).insertOne({
    _id: effectId(idempotencyKey, tool, args) as never,
    idempotencyKey,
    tool,
    state: 'running',
    owner: 'dead-worker',
    leaseExpiresAt: new Date(Date.now() - 1_000),
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
  });
}
