import { ApplicationFailure } from '@temporalio/common';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import {
  EmbedderMismatchError,
  MemoryInputError,
  isMongoUnavailable,
  translateMemoryError,
} from '../../src/memory/memory-errors';

function fields(value: unknown) {
  const failure = value as ApplicationFailure;
  return { name: failure.name, type: failure.type, nonRetryable: failure.nonRetryable };
}

describe('translateMemoryError', () => {
  it('makes outages retryable and rejections final', () => {
    expect(fields(translateMemoryError(new MongoNetworkError('connection reset'), 'saveFact'))).toEqual({
      name: 'ApplicationFailure',
      type: 'Memory.Unavailable',
      nonRetryable: false,
    });
    const steppedDown = new MongoServerError({ code: 189, errmsg: 'primary stepped down' });
    expect(isMongoUnavailable(steppedDown)).toBe(true);
    expect(fields(translateMemoryError(steppedDown, 'saveFact')).nonRetryable).toBe(false);
    const rejected = new MongoServerError({ code: 2, errmsg: 'bad value' });
    expect(isMongoUnavailable(rejected)).toBe(false);
    expect(fields(translateMemoryError(rejected, 'saveFact'))).toEqual({
      name: 'ApplicationFailure',
      type: 'Memory.Unavailable',
      nonRetryable: true,
    });
  });

  it('maps domain errors to their failure types and leaves other errors alone', () => {
    const mismatch = new EmbedderMismatchError('docs', { name: 'a', dimensions: 8 }, { name: 'b', dimensions: 16 });
    expect(fields(translateMemoryError(mismatch, 'search'))).toMatchObject({
      type: 'Memory.EmbedderMismatch',
      nonRetryable: true,
    });
    expect(fields(translateMemoryError(new MemoryInputError('empty'), 'search'))).toMatchObject({
      type: 'Memory.InvalidInput',
      nonRetryable: true,
    });
    const already = ApplicationFailure.create({ type: 'Model.RateLimited', message: 'slow down' });
    expect(translateMemoryError(already, 'summarize')).toBe(already);
    const bug = new TypeError('undefined is not a function');
    expect(translateMemoryError(bug, 'search')).toBe(bug);
  });
});
