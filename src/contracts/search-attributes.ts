import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes registered by the local stack (`chassis dev up`) and kept
 * current by workflows, so a person can filter tasks in the Temporal UI.
 */
export const ChassisStatus = defineSearchAttributeKey('ChassisStatus', 'KEYWORD');
/** Total cost in USD so far. */
export const ChassisCostUsd = defineSearchAttributeKey('ChassisCostUsd', 'DOUBLE');
/** Total input + output tokens so far. */
export const ChassisTokens = defineSearchAttributeKey('ChassisTokens', 'INT');
/** Session id of a session's tasks. */
export const ChassisSession = defineSearchAttributeKey('ChassisSession', 'KEYWORD');

/** The largest model tier the task has used so far (`large`, `small`, `pinned`). */
export const ChassisModelTier = defineSearchAttributeKey('ChassisModelTier', 'KEYWORD');
/** The start of the goal, for finding a task by what it was about (left out when payloads are encrypted). */
export const ChassisGoal = defineSearchAttributeKey('ChassisGoal', 'TEXT');

/** Name → Temporal CLI type, for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Double' | 'Int' | 'Text'> = {
  ChassisStatus: 'Keyword',
  ChassisCostUsd: 'Double',
  ChassisTokens: 'Int',
  ChassisSession: 'Keyword',
  ChassisModelTier: 'Keyword',
  ChassisGoal: 'Text',
};
