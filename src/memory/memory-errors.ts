import { ApplicationFailure } from '@temporalio/common';
import { MongoError } from 'mongodb';
import type { EmbedderDescription } from '../contracts/memory';
import { FailureType } from '../contracts/failure-types';
import { unavailableSystemOf } from '../resilience/infrastructure-retry';
import { ChassisError, markErrorClass } from '../shared/chassis-error';

/** A vector (or a namespace) was made by a different embedder than the one in use. */
export class EmbedderMismatchError extends ChassisError {
  override readonly name = 'EmbedderMismatchError';

  constructor(
    readonly namespace: string,
    readonly stored: EmbedderDescription,
    readonly current: EmbedderDescription,
  ) {
    super(
      `namespace "${namespace}" holds vectors of ${describe(stored)} but this worker embeds with ${describe(current)}: ` +
        `search and write it with the same embedder (CHASSIS_EMBEDDER, CHASSIS_EMBEDDING_MODEL, CHASSIS_EMBEDDING_DIMENSIONS), ` +
        `or re-import it into a new namespace`,
    );
  }
}

/** True for an {@link EmbedderMismatchError} from any copy of this module. */
export const isEmbedderMismatchError = markErrorClass(EmbedderMismatchError, 'EmbedderMismatchError');

function describe(embedder: EmbedderDescription): string {
  return `${embedder.name} (${embedder.dimensions} dimensions)`;
}

/** An input the memory layer cannot serve as given; retrying does not help. */
export class MemoryInputError extends ChassisError {
  override readonly name = 'MemoryInputError';
}

/** True for a {@link MemoryInputError} from any copy of this module. */
export const isMemoryInputError = markErrorClass(MemoryInputError, 'MemoryInputError');

/** The small model's answer was not the JSON asked for. */
export class ModelOutputError extends ChassisError {
  override readonly name = 'ModelOutputError';
}

/** True for a {@link ModelOutputError} from any copy of this module. */
export const isModelOutputError = markErrorClass(ModelOutputError, 'ModelOutputError');

/**
 * True when MongoDB could not be reached or is failing over: retrying later can succeed.
 * The one classification lives with the outage waits in `src/resilience`.
 */
export function isMongoUnavailable(error: unknown): boolean {
  return unavailableSystemOf(error) === 'MongoDB';
}

/**
 * The one translation of memory-layer errors into Temporal failures:
 *
 * - MongoDB unreachable or failing over → retryable `Memory.Unavailable`, so writes are
 *   retried by the engine until MongoDB is back (a workflow gives up on reads by capping
 *   their attempts and going on without memory);
 * - MongoDB rejecting the operation → non-retryable `Memory.Unavailable` (retrying the same
 *   document cannot fix it);
 * - embedder mismatch, bad input → non-retryable `Memory.EmbedderMismatch`, `Memory.InvalidInput`;
 * - unusable small-model output → retryable `Memory.ModelOutputInvalid`;
 * - failures already translated (model calls) pass through; anything else is rethrown as is.
 */
export function translateMemoryError(error: unknown, operation: string): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (isEmbedderMismatchError(error)) {
    return ApplicationFailure.create({
      type: FailureType.MemoryEmbedderMismatch,
      message: error.message,
      nonRetryable: true,
    });
  }
  if (isMemoryInputError(error)) {
    return ApplicationFailure.create({
      type: FailureType.MemoryInvalidInput,
      message: `${operation}: ${error.message}`,
      nonRetryable: true,
    });
  }
  if (isModelOutputError(error)) {
    return ApplicationFailure.create({
      type: FailureType.MemoryModelOutputInvalid,
      message: `${operation}: ${error.message}`,
      nonRetryable: false,
    });
  }
  if (isMongoUnavailable(error)) {
    return ApplicationFailure.create({
      type: FailureType.MemoryUnavailable,
      message: `${operation}: MongoDB is unreachable (${(error as Error).message}); the engine retries. Check MONGODB_URI, or run "chassis dev up" to start the local database`,
      nonRetryable: false,
      cause: error as Error,
    });
  }
  if (error instanceof MongoError) {
    return ApplicationFailure.create({
      type: FailureType.MemoryUnavailable,
      message: `${operation}: MongoDB rejected the operation (${error.message}); retrying the same operation cannot fix it`,
      nonRetryable: true,
      cause: error,
    });
  }
  return error;
}
