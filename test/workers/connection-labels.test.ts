import { connectionErrorReason, mongoServerLabel } from '../../src/workers/connection-labels';

describe('mongoServerLabel', () => {
  it('names the hosts without credentials, path or options', () => {
    expect(mongoServerLabel('mongodb://127.0.0.1:27017/')).toBe('127.0.0.1:27017');
    expect(mongoServerLabel('mongodb://user:p%40ss@h1:1,h2:2/db?replicaSet=rs')).toBe('h1:1,h2:2');
    expect(mongoServerLabel('mongodb+srv://user:pass@cluster0.example.net')).toBe('cluster0.example.net');
  });
});

describe('connectionErrorReason', () => {
  it("turns the Temporal client's refused transport error into the usual few words", () => {
    const error = new Error(
      'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))',
    );
    expect(connectionErrorReason(error)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('keeps the first line of other errors, with credentials masked, and bounded', () => {
    expect(connectionErrorReason(new Error('bad auth for mongodb://u:pw@h/\nstack…'))).toBe(
      'bad auth for mongodb://u:***@h/',
    );
    expect(connectionErrorReason(new Error('x'.repeat(500))).length).toBeLessThanOrEqual(160);
  });

  it('falls back to the error code when the message is empty', () => {
    expect(connectionErrorReason(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED',
    );
  });
});
