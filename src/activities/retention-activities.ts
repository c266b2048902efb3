import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from 'mongodb';
import { FailureType } from '../contracts/failure-types';
import type { RetentionSweepInput, RetentionSweepResult } from '../contracts/retention';
import { sweepRetention } from '../lifecycle/retention-sweep';
import { TemporalWorkflowLiveness } from '../lifecycle/workflow-liveness';

/** What the retention activity needs; built once per worker process. */
export interface RetentionActivityDependencies {
  /** The database the worker stores payloads, tool outputs, caches, events and memory in. */
  db?: Db;
  /** `CHASSIS_RETENTION_DAYS` in milliseconds, used when the input gives no `olderThanMs`. @default 30 days */
  retentionMs?: number;
  /** The client that answers which workflows still run. @default the worker's own (`Context.current().client`) */
  temporalClient?: () => Client;
  /** @default () => new Date() */
  clock?: () => Date;
}

const DEFAULT_RETENTION_MS = 30 * 86_400_000;

/** The retention sweep as an activity: a thin adapter over `sweepRetention`. */
export function createRetentionActivities(dependencies: RetentionActivityDependencies) {
  return {
    /**
     * Deletes what was last used before `now - olderThanMs` and no running workflow needs.
     * Heartbeats after every batch; a retry starts over, which is safe (the sweep is idempotent).
     */
    async sweepRetention(input: RetentionSweepInput): Promise<RetentionSweepResult> {
      const olderThanMs = input.olderThanMs ?? dependencies.retentionMs ?? DEFAULT_RETENTION_MS;
      if (!Number.isFinite(olderThanMs) || olderThanMs <= 0) {
        throw ApplicationFailure.create({
          type: FailureType.TaskInvalidInput,
          message: `olderThanMs must be a positive number of milliseconds, not ${olderThanMs}`,
          nonRetryable: true,
        });
      }
      const db = dependencies.db;
      if (db === undefined) {
        throw ApplicationFailure.create({
          type: FailureType.MemoryUnavailable,
          message: 'this worker has no MongoDB database configured, so there is nothing to sweep: set MONGODB_URI',
          nonRetryable: true,
        });
      }
      const context = Context.current();
      const client = dependencies.temporalClient?.() ?? context.client;
      const now = dependencies.clock?.() ?? new Date();
      context.heartbeat();
      return sweepRetention(db, new TemporalWorkflowLiveness(client), {
        cutoff: new Date(now.getTime() - olderThanMs),
        now,
        dryRun: input.dryRun ?? false,
        onProgress: (progress) => context.heartbeat(progress),
      });
    },
  };
}
