import { SESSION_STATE_SCHEMA_VERSION, sessionMessageProblem, type SessionTurn } from '../../../src/contracts/session';
import { migrateSessionState, newSessionState } from '../../../src/workflows/session/session-state';

const turn = (number: number): SessionTurn => ({
  turn: number,
  requestId: `r${number}`,
  message: `message ${number}`,
  answer: `answer ${number}`,
  status: 'completed',
  taskWorkflowId: `session-s/turn-${number}`,
});

describe('session state versions', () => {
  test('no carried state is a fresh state of the current version', () => {
    expect(migrateSessionState(undefined)).toEqual(newSessionState());
    expect(newSessionState()).toMatchObject({ schemaVersion: SESSION_STATE_SCHEMA_VERSION, droppedMessages: 0 });
  });

  test('version 1 gains the summary bookkeeping (through the turn before the first recent one) and the dropped count', () => {
    const version1 = { schemaVersion: 1, turnCount: 9, summary: 'S', recent: [turn(8), turn(9)], answered: [turn(9)] };
    expect(migrateSessionState(version1)).toEqual({
      schemaVersion: 3,
      turnCount: 9,
      summary: 'S',
      summaryThroughTurn: 7,
      summaryLevel: 0,
      recent: [turn(8), turn(9)],
      answered: [turn(9)],
      droppedMessages: 0,
    });
    // Nothing recent: the summary covers every turn; no summary: it covers none.
    expect(migrateSessionState({ ...version1, recent: [] })).toMatchObject({ summaryThroughTurn: 9 });
    expect(migrateSessionState({ ...version1, summary: '' })).toMatchObject({ summaryThroughTurn: 0 });
  });

  test('version 2 gains the dropped count; the current version is taken as is', () => {
    const version2 = {
      schemaVersion: 2,
      turnCount: 2,
      summary: '',
      summaryThroughTurn: 0,
      summaryLevel: 0,
      recent: [turn(1), turn(2)],
      answered: [turn(1), turn(2)],
    };
    const migrated = migrateSessionState(version2);
    expect(migrated).toEqual({ ...version2, schemaVersion: 3, droppedMessages: 0 });
    expect(migrateSessionState({ ...migrated, droppedMessages: 4 })).toEqual({ ...migrated, droppedMessages: 4 });
  });

  test('a state that is not one is a non-retryable Task.InvalidInput; a newer version waits for a newer worker', () => {
    for (const bad of [{ schemaVersion: 0 }, { turnCount: 1 }, 'state', { schemaVersion: '2' }]) {
      let failure: unknown;
      try {
        migrateSessionState(bad);
      } catch (error) {
        failure = error;
      }
      expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'Task.InvalidInput', nonRetryable: true });
    }
    // A plain Error fails the workflow task (retried), not the session.
    expect(() => migrateSessionState({ schemaVersion: SESSION_STATE_SCHEMA_VERSION + 1 })).toThrow(
      new Error(
        `session state version ${SESSION_STATE_SCHEMA_VERSION + 1} is newer than this worker's ${SESSION_STATE_SCHEMA_VERSION}: deploy the newer worker; the session waits until then`,
      ),
    );
  });
});

describe('session messages', () => {
  test('an empty message, a missing request id or a non-object is a problem; a good message is none', () => {
    expect(sessionMessageProblem({ requestId: 'r', message: 'hello' })).toBeUndefined();
    expect(sessionMessageProblem({ requestId: 'r', message: '  ' })).toBe('the message is empty');
    expect(sessionMessageProblem({ message: 'hello' })).toBe('requestId is missing');
    expect(sessionMessageProblem({ requestId: 7, message: 'hello' })).toBe('requestId is missing');
    expect(sessionMessageProblem(null)).toBe('the message must be an object {requestId, message}');
    expect(sessionMessageProblem('hello')).toBe('the message must be an object {requestId, message}');
  });
});
