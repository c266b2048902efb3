import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/contracts/failure-types';
import { condensedActivityFailure } from '../../src/workers/install-runtime';

describe('condensedActivityFailure', () => {
  const base = { activityType: 'recall', attempt: 3, taskToken: 'bG9jYWxf…', durationMs: 7 };

  it('puts a Chassis failure on one line, type first, without its stack or the task token', () => {
    const error = ApplicationFailure.create({
      type: FailureType.MemoryUnavailable,
      message: 'recall: MongoDB is unreachable (Topology is closed); the engine retries',
      nonRetryable: false,
      cause: new Error('Topology is closed'),
    });
    expect(condensedActivityFailure({ ...base, error })).toEqual({
      activityType: 'recall',
      attempt: 3,
      durationMs: 7,
      error: 'Memory.Unavailable: recall: MongoDB is unreachable (Topology is closed); the engine retries',
    });
  });

  it('says when the failure is not retried', () => {
    const error = ApplicationFailure.create({
      type: FailureType.ToolPermanent,
      message: 'no such file',
      nonRetryable: true,
    });
    expect(condensedActivityFailure({ ...base, error }).error).toBe('Tool.Permanent: no such file (not retried)');
  });

  it('keeps everything of an unexpected error, and of an ApplicationFailure of a type Chassis does not raise', () => {
    const plain = { ...base, error: new Error('embedding model returned 64 dimensions') };
    expect(condensedActivityFailure(plain)).toBe(plain);
    const foreign = { ...base, error: ApplicationFailure.create({ type: 'Payments.Declined', message: 'declined' }) };
    expect(condensedActivityFailure(foreign)).toBe(foreign);
  });
});
