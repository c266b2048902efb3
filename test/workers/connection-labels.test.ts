import { connectionErrorReason, maskCredentials, mongoServerLabel } from '../../src/workers/connection-labels';

describe('maskCredentials', () => {
  it('masks the password and keeps the user', () => {
    expect(maskCredentials('mongodb+srv://user:s3cret@cluster0.example.net/?retryWrites=true')).toBe(
      'mongodb+srv://user:***@cluster0.example.net/?retryWrites=true',
    );
  });

  it('masks a lone token and every URI in a longer text', () => {
    expect(maskCredentials('failed: mongodb://token@a:1/ then https://me:pw@b.example/x')).toBe(
      'failed: mongodb://***@a:1/ then https://me:***@b.example/x',
    );
  });

  it('leaves text without credentials alone', () => {
    expect(maskCredentials('connect ECONNREFUSED 127.0.0.1:27017 (mongodb://127.0.0.1:27017/)')).toBe(
      'connect ECONNREFUSED 127.0.0.1:27017 (mongodb://127.0.0.1:27017/)',
    );
  });
});

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

  it('keeps the first line of other errors, masked and bounded', () => {
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
