import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../contracts/failure-types';
import { SESSION_STATE_SCHEMA_VERSION, type SessionState, type SessionTurn } from '../../contracts/session';

/** A fresh session state. */
export function newSessionState(): SessionState {
  return {
    schemaVersion: SESSION_STATE_SCHEMA_VERSION,
    turnCount: 0,
    summary: '',
    summaryThroughTurn: 0,
    summaryLevel: 0,
    recent: [],
    answered: [],
    droppedMessages: 0,
  };
}

/** Version 1: no summary bookkeeping; every turn not in `recent` is covered by `summary`. */
interface SessionStateVersion1 {
  schemaVersion: 1;
  turnCount: number;
  summary: string;
  recent: SessionTurn[];
  answered: SessionTurn[];
}

/** Version 2: the summary knows the last turn it covers and how often it was re-summarized. */
type SessionStateVersion2 = Omit<SessionState, 'droppedMessages' | 'schemaVersion'> & { schemaVersion: 2 };

function fromVersion1(state: SessionStateVersion1): SessionStateVersion2 {
  const firstRecent = state.recent[0]?.turn;
  return {
    ...state,
    schemaVersion: 2,
    // Version 1 summarized every turn that was no longer recent.
    summaryThroughTurn: state.summary === '' ? 0 : firstRecent !== undefined ? firstRecent - 1 : state.turnCount,
    summaryLevel: 0,
  };
}

function fromVersion2(state: SessionStateVersion2): SessionState {
  return { ...state, schemaVersion: 3, droppedMessages: 0 };
}

/**
 * The state a session continues with: carried state of this version as is, older versions
 * migrated step by step (a session continued as new by an older worker keeps its turns and
 * summary), none: a fresh state. Pure, so replay migrates the same way.
 *
 * @throws a non-retryable `Task.InvalidInput` failure for a state that is not a session state
 * @throws a plain `Error` for a state of a newer version than this code knows (see below)
 */
export function migrateSessionState(carried: unknown): SessionState {
  if (carried === undefined || carried === null) return newSessionState();
  const version = (carried as { schemaVersion?: unknown }).schemaVersion;
  if (typeof carried !== 'object' || typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw ApplicationFailure.create({
      type: FailureType.TaskInvalidInput,
      message: `invalid session state: schemaVersion ${JSON.stringify(version)} is not a version 1-${SESSION_STATE_SCHEMA_VERSION}; start the session without a state`,
      nonRetryable: true,
    });
  }
  if (version > SESSION_STATE_SCHEMA_VERSION) {
    // A plain Error on purpose: it fails the workflow task, which the server retries. Such a
    // state comes from a newer worker (e.g. during a rolled-back deploy); the session waits,
    // unchanged, until a worker that knows the version picks it up, instead of failing.
    throw new Error(
      `session state version ${version} is newer than this worker's ${SESSION_STATE_SCHEMA_VERSION}: deploy the newer worker; the session waits until then`,
    );
  }
  let state: unknown = carried;
  if (version === 1) state = fromVersion1(state as SessionStateVersion1);
  if (version <= 2) state = fromVersion2(state as SessionStateVersion2);
  return state as SessionState;
}
